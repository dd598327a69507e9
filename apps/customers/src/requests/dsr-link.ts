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
import { DSR_HEADER_NAME } from '@kielto/contracts';
import { RequestSubject, TrailEntry } from './desk-request';
import { DeskRepository } from './desk.repository';

export const DSR_HEADER = DSR_HEADER_NAME.toLowerCase();
const DSR_FIELD = DSR_HEADER_NAME;
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
export type WriteTarget = { customerId: string } | { identifier: BareIdentifier; subject: string };

/**
 * The one rule of what a write may be linked to, and the trail it leaves: used by the customer routes (through
 * DsrLinkInterceptor) and by the other services' writes (POST /v1/requests/:id/trail, an objection in consents).
 */
@Injectable()
export class DeskLinks {
  private readonly logger = new Logger(DeskLinks.name);

  constructor(
    private readonly desk: DeskRepository,
    private readonly hasher: IdentifierHasher,
  ) {}

  /** A customer id, or a bare identifier (validated and normalised here: nothing may be linked on bad input). */
  targetOf(subject: { customerId?: string } & IdentifierQueryDto): WriteTarget {
    if (subject.customerId !== undefined) return { customerId: String(subject.customerId).toLowerCase() };
    const identifier = bareIdentifierOf(subject);
    return { identifier, subject: `${identifier.kind}:${this.hasher.hash(identifier.value)}` };
  }

  /** The desk entry `dsr` names, if the write may be linked to it: else the problem naming X-Kielto-Dsr. */
  async linkable(dsr: unknown, target: WriteTarget): Promise<string> {
    if (typeof dsr !== 'string' || !UUID.test(dsr))
      throw fieldProblem(DSR_FIELD, `${DSR_FIELD} must be the id (UUID) of a request on the desk`);
    const id = dsr.toLowerCase();
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

  /** Adds the write (done and audited under `requestId`) to the trail of the desk entry `id`. */
  async addToTrail(
    id: string,
    write: { action: string; target: WriteTarget; actor: string; requestId: string },
  ): Promise<TrailEntry> {
    const { target } = write;
    const entry: TrailEntry = {
      at: new Date().toISOString(),
      action: write.action,
      ...('customerId' in target ? { customerId: target.customerId } : { subject: target.subject }),
      actor: write.actor,
      requestId: write.requestId,
    };
    await this.desk.appendTrail(id, entry);
    return entry;
  }

  /** addToTrail after a write that is done: a lost trail entry is logged, never a failed write. */
  async addToTrailAfterWrite(id: string, write: Parameters<DeskLinks['addToTrail']>[1]): Promise<void> {
    await this.addToTrail(id, write).catch((error: unknown) =>
      this.logger.error({ err: error, requestId: id, action: write.action }, 'desk trail not written'),
    );
  }
}

@Injectable()
export class DsrLinkInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly links: DeskLinks,
  ) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const request = context
      .switchToHttp()
      .getRequest<AuthenticatedRequest & { id: string; params: { id?: string }; query: IdentifierQueryDto }>();
    const header = request.headers[DSR_HEADER];
    if (header === undefined) return next.handle();
    // Validated here too: the handler's pipes run after this interceptor, and nothing may be linked on bad input.
    const target = this.links.targetOf(
      request.params.id !== undefined ? { customerId: String(request.params.id) } : request.query,
    );
    const id = await this.links.linkable(header, target);
    const action = this.reflector.get<string>(DSR_ACTION, context.getHandler());
    return next.handle().pipe(
      concatMap(async (result: unknown) => {
        await this.links.addToTrailAfterWrite(id, {
          action,
          target,
          actor: request.actor?.keyId ?? 'unknown',
          requestId: String(request.id),
        });
        return result;
      }),
    );
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
