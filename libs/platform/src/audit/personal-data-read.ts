import { CallHandler, ExecutionContext, Injectable, NestInterceptor, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Observable, tap } from 'rxjs';
import { normaliseEmail, normalisePhone } from '@kielto/contracts';
import { IdentifierHasher } from '../crypto/identifier-hasher';

/**
 * Whose personal data a route returns, so that every read of it names its subjects in the audit trail (issue 16
 * part 3, GDPR Art 15 and 32):
 * - `param`: a path parameter holding the customer id (`/v1/customers/:id`);
 * - `lookup`: the query's `customerId`, or the keyed hash of its `email`/`phone` as `email:<hash>`/`phone:<hash>`
 *   (never the identifier itself);
 * - `result`: the ids in the answer (`id` or `customerId` of each element, or of `items`): lookups by identifier
 *   and searches, whose subjects are only known once found.
 */
export type ReadSubjectSource = { param: string } | { lookup: true } | { result: true };

export const READS_PERSONAL_DATA_KEY = 'kielto:reads-personal-data';
/** The route returns personal data: every call by a person or admin is audited with its subjects. */
export const ReadsPersonalData = (source: ReadSubjectSource) => SetMetadata(READS_PERSONAL_DATA_KEY, source);

/** At most this many subjects are named per read (a page of a list); the record says when there were more. */
export const MAX_SUBJECTS_PER_READ = 200;
/** A subject id: a customer id, or `email:<hex>` / `phone:<hex>`. Anything else is not recorded. */
export const SUBJECT_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

/** A handler may leave a summary of what its write did for the audit record (counts and hashes, no personal data). */
export interface RequestWithAuditDetails {
  auditDetails?: Record<string, string | number>;
}

export interface RequestWithReadSubjects {
  params?: Record<string, string>;
  query?: Record<string, unknown>;
  /** Set once the handler answered: the subjects whose data the answer holds. */
  readSubjects?: string[];
}

/**
 * Names the subjects of a read once the handler has answered (a failed call reads nothing). The record is written
 * by the onResponse hook with the rest of the audit trail, queued, off the request's path (AuditTrail.record).
 */
@Injectable()
export class PersonalDataReadInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly hasher: IdentifierHasher,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const source = this.reflector.getAllAndOverride<ReadSubjectSource | undefined>(READS_PERSONAL_DATA_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (source === undefined) return next.handle();
    const request = context.switchToHttp().getRequest<RequestWithReadSubjects>();
    return next.handle().pipe(
      tap((answer) => {
        request.readSubjects = readSubjects(source, request, answer, this.hasher);
      }),
    );
  }
}

export function readSubjects(
  source: ReadSubjectSource,
  request: RequestWithReadSubjects,
  answer: unknown,
  hasher: IdentifierHasher,
): string[] {
  let subjects: unknown[];
  if ('param' in source) subjects = [request.params?.[source.param]];
  else if ('lookup' in source) subjects = [lookupSubject(request.query ?? {}, hasher)];
  else {
    const items: unknown[] = Array.isArray(answer) ? (answer as unknown[]) : [answer];
    const listed = items.flatMap((item) =>
      item !== null && typeof item === 'object' && Array.isArray((item as { items?: unknown }).items)
        ? (item as { items: unknown[] }).items
        : [item],
    );
    subjects = listed.map((item) => {
      const { id, customerId } = (item ?? {}) as { id?: unknown; customerId?: unknown };
      return customerId ?? id;
    });
  }
  const ids = subjects.filter((s): s is string => typeof s === 'string' && SUBJECT_ID.test(s));
  return [...new Set(ids)];
}

function lookupSubject(query: Record<string, unknown>, hasher: IdentifierHasher): string | undefined {
  if (typeof query.customerId === 'string') return query.customerId;
  const email = typeof query.email === 'string' ? normaliseEmail(query.email) : null;
  if (email !== null) return `email:${hasher.hash(email)}`;
  const phone = typeof query.phone === 'string' ? normalisePhone(query.phone) : null;
  return phone !== null ? `phone:${hasher.hash(phone)}` : undefined;
}
