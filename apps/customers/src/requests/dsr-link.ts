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
import { AuthenticatedRequest, fieldProblem, ProblemException } from '@kielto/platform';
import { DeskRepository } from './desk.repository';

export const DSR_HEADER = 'x-kielto-dsr';
const DSR_FIELD = 'X-Kielto-Dsr';
const DSR_ACTION = 'kielto:dsr-action';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Links the write to a desk entry when the call names one (`X-Kielto-Dsr: <request id>`): the entry must exist, be
 * open and, when it names a customer, be about this one, else the call is refused before anything is written; after
 * the write succeeds, the desk's trail of that request gets the action with the call's request id (its audit record
 * carries the same id). `action` names the write: rectification, erasure, restriction, restriction-lifted.
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

@Injectable()
export class DsrLinkInterceptor implements NestInterceptor {
  private readonly logger = new Logger(DsrLinkInterceptor.name);

  constructor(
    private readonly reflector: Reflector,
    private readonly desk: DeskRepository,
  ) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest & { id: string; params: { id?: string } }>();
    const header = request.headers[DSR_HEADER];
    if (header === undefined) return next.handle();
    const customerId = String(request.params.id ?? '').toLowerCase();
    const requestId = await this.linkable(header, customerId);
    const action = this.reflector.get<string>(DSR_ACTION, context.getHandler());
    return next.handle().pipe(
      concatMap(async (result: unknown) => {
        const entry = {
          at: new Date().toISOString(),
          action,
          customerId,
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

  /** The desk entry the header names, if the write may be linked to it. */
  private async linkable(header: string | string[], customerId: string): Promise<string> {
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
    if (entry.subject.customerId !== undefined && entry.subject.customerId !== customerId)
      throw fieldProblem(DSR_FIELD, 'the request is about another customer', HttpStatus.UNPROCESSABLE_ENTITY);
    return id;
  }
}
