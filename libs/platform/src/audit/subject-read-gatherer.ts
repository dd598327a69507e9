import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { ProblemException } from '../http/problem';
import { AuditRecord } from './audit-record.schema';
import { AuditTrail } from './audit-trail.service';

/** Where the reads of a subject are gathered from besides this service (customers: the other three). */
export interface SubjectReadSources {
  /** An admin key of the other services (customers' KIELTO_SERVICE_KEY). */
  serviceKey: string;
  timeoutMs: number;
  /** Service name → base URL. */
  urls: Record<string, string>;
}

export const SUBJECT_READ_SOURCES = Symbol('SUBJECT_READ_SOURCES');

/**
 * Another subject whose reads are reads of this one while `[from, until)` (a customer's own e-mail address, looked up
 * as `email:<hash>` while the customer held it).
 */
export interface SubjectAlias {
  subject: string;
  from: Date;
  until?: Date;
}

/** The aliases of a subject; the service that knows who holds what registers it (customers). */
export type SubjectAliases = (subject: string) => Promise<SubjectAlias[]>;

/**
 * "Who has looked at this person, and when" (GDPR Art 15): the reads of a subject in this service and, where
 * sources are configured (customers), in the others, newest first. All or nothing, like the data-subject export: a
 * service that does not answer makes the whole answer a 503, never a silently partial trail.
 */
@Injectable()
export class SubjectReadGatherer {
  private readonly logger = new Logger(SubjectReadGatherer.name);

  constructor(
    private readonly audit: AuditTrail,
    @Optional() @Inject(SUBJECT_READ_SOURCES) private readonly sources?: SubjectReadSources | null,
  ) {}

  private aliases?: SubjectAliases;

  /** Reads of a subject include those of its aliases while they were its (one registration per service). */
  registerAliases(aliases: SubjectAliases): void {
    this.aliases = aliases;
  }

  async readsOf(subject: string, limit: number, since?: Date): Promise<AuditRecord[]> {
    const aliases = (await this.aliases?.(subject)) ?? [];
    const [own, ...aliased] = await Promise.all([
      this.gather(subject, limit, since),
      ...aliases.map(async (alias) =>
        (await this.gather(alias.subject, limit, since)).filter((read) => {
          const at = new Date(read.at).getTime();
          return at >= alias.from.getTime() && (alias.until === undefined || at < alias.until.getTime());
        }),
      ),
    ]);
    // A read that named the subject and an alias (or two aliases) at once is one read.
    const byRecord = new Map<string, AuditRecord>();
    for (const read of [...own, ...aliased.flat()]) {
      const key = `${read.service} ${read._id}`;
      if (!byRecord.has(key)) byRecord.set(key, read);
    }
    return [...byRecord.values()].sort((a, b) => new Date(b.at).getTime() - new Date(a.at).getTime()).slice(0, limit);
  }

  /** The reads of one subject here and in the other services. */
  private async gather(subject: string, limit: number, since?: Date): Promise<AuditRecord[]> {
    const remote = Object.entries(this.sources?.urls ?? {}).map(([service, url]) =>
      this.remoteReads(service, url, subject, limit, since),
    );
    return (await Promise.all([this.audit.readsOf(subject, limit, since), ...remote])).flat();
  }

  private async remoteReads(
    service: string,
    base: string,
    subject: string,
    limit: number,
    since?: Date,
  ): Promise<AuditRecord[]> {
    const query = new URLSearchParams({
      subject,
      limit: String(limit),
      ...(since ? { since: since.toISOString() } : {}),
    });
    const sources = this.sources!;
    try {
      const response = await fetch(`${base}/v1/audit?${query.toString()}`, {
        headers: { authorization: `Bearer ${sources.serviceKey}`, accept: 'application/json' },
        signal: AbortSignal.timeout(sources.timeoutMs),
      });
      if (!response.ok) {
        await response.body?.cancel();
        throw new Error(`answered ${response.status}`);
      }
      return (await response.json()) as AuditRecord[];
    } catch (error) {
      // Neither the subject nor the key is logged.
      this.logger.warn({ service, err: (error as Error).message }, 'audit source unavailable');
      throw new ProblemException(
        503,
        'audit-source-unavailable',
        `The ${service} service did not answer; no partial audit trail is given. Try again shortly`,
        undefined,
        { 'retry-after': '5' },
      );
    }
  }
}
