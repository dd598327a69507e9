import {
  applyDecorators,
  CallHandler,
  ExecutionContext,
  HttpStatus,
  Injectable,
  Logger,
  NestInterceptor,
  SetMetadata,
  UseInterceptors,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiHeader } from '@nestjs/swagger';
import { concatMap, Observable } from 'rxjs';
import {
  AuthenticatedRequest,
  BareIdentifier,
  bareIdentifierOf,
  fieldProblem,
  IdentifierHasher,
  IdentifierQueryDto,
  ProblemException,
} from '@kielto/platform';
import { RequestSubject } from './desk-request';
import { DeskRepository } from './desk.repository';

export const DSR_HEADER = 'x-kielto-dsr';
const DSR_FIELD = 'X-Kielto-Dsr';
const DSR_ACTION = 'kielto:dsr-action';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Links the write to a desk entry when the call names one (`X-Kielto-Dsr: <request id>`): the entry must exist, be
 * open and be about this subject — on the customer routes (`:id`), not about another customer; on the routes of a bare
 * identifier (`?email=|phone=`), about that identifier and not about a customer — else the call is refused before
 * anything is written. After the write succeeds, the desk's trail of that request gets the action with the call's
 * request id (its audit record carries the same id). `action` names the write: rectification, erasure, restriction,
 * restriction-lifted.
 */
export const LinksDsr = (action: string) =>
  applyDecorators(
    SetMetadata(DSR_ACTION, action),
    UseInterceptors(DsrLinkInterceptor),
    ApiHeader({
      name: DSR_FIELD,
      required: false,
      description: `Id of the data-subject request (POST /v1/requests) this ${action} is done for: added to its trail`,
    }),
  );

/** Whom the write is about: a customer, or a bare identifier (with its keyed subject key, for the trail). */
type WriteTarget = { customerId: string } | { identifier: BareIdentifier; subject: string };

@Injectable()
export class DsrLinkInterceptor implements NestInterceptor {
  private readonly logger = new Logger(DsrLinkInterceptor.name);

  constructor(
    private readonly reflector: Reflector,
    private readonly desk: DeskRepository,
    private readonly hasher: IdentifierHasher,
  ) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const request = context
      .switchToHttp()
      .getRequest<AuthenticatedRequest & { id: string; params: { id?: string }; query: IdentifierQueryDto }>();
    const header = request.headers[DSR_HEADER];
    if (header === undefined) return next.handle();
    const target = this.targetOf(request);
    const requestId = await this.linkable(header, target);
    const action = this.reflector.get<string>(DSR_ACTION, context.getHandler());
    return next.handle().pipe(
      concatMap(async (result: unknown) => {
        const entry = {
          at: new Date().toISOString(),
          action,
          ...('customerId' in target ? { customerId: target.customerId } : { subject: target.subject }),
          actor: request.actor?.keyId ?? 'unknown',
          requestId: String(request.id),
        };
        // The write is done and audited (with the same request id); a lost trail entry is logged, not a failed write.
        await this.desk
          .appendTrail(requestId, entry)
          .catch((error: unknown) => this.logger.error({ err: error, requestId, action }, 'desk trail not written'));
        return result;
      }),
    );
  }

  private targetOf(request: { params: { id?: string }; query: IdentifierQueryDto }): WriteTarget {
    if (request.params.id !== undefined) return { customerId: String(request.params.id).toLowerCase() };
    // Validated here too: the handler's pipes run after this interceptor, and nothing may be linked on bad input.
    const identifier = bareIdentifierOf(request.query);
    return { identifier, subject: `${identifier.kind}:${this.hasher.hash(identifier.value)}` };
  }

  /** The desk entry the header names, if the write may be linked to it. */
  private async linkable(header: string | string[], target: WriteTarget): Promise<string> {
    if (typeof header !== 'string' || !UUID.test(header))
      throw fieldProblem(DSR_FIELD, `${DSR_FIELD} must be the id (UUID) of a request on the desk`);
    const id = header.toLowerCase();
    const entry = await this.desk.load(id);
    if (!entry)
      throw fieldProblem(DSR_FIELD, `no request on the desk has this ${DSR_FIELD}`, HttpStatus.UNPROCESSABLE_ENTITY);
    if (entry.closed)
      throw new ProblemException(HttpStatus.CONFLICT, 'request-closed', `The request ${id} is closed`, [
        { field: DSR_FIELD, message: 'the request is closed' },
      ]);
    const other = otherSubject(entry.subject, target);
    if (other) throw fieldProblem(DSR_FIELD, `the request is about ${other}`, HttpStatus.UNPROCESSABLE_ENTITY);
    return id;
  }
}

/** Why the request's subject is not the write's, or undefined when it may be linked. */
function otherSubject(subject: RequestSubject, target: WriteTarget): string | undefined {
  if ('customerId' in target)
    return subject.customerId !== undefined && subject.customerId !== target.customerId
      ? 'another customer'
      : undefined;
  if (subject.customerId !== undefined) return 'a customer';
  const { kind, value } = target.identifier;
  return subject[kind] === value ? undefined : `another identifier`;
}
