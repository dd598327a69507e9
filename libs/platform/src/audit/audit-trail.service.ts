import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { randomUUID } from 'node:crypto';
import { Model } from 'mongoose';
import { Actor } from '../auth/api-keys';
import { ServiceConfig } from '../config/service-config';
import { MAX_SUBJECTS_PER_READ } from './personal-data-read';
import { AuditRecord, SubjectRead, SubjectReadHead, SubjectReadPage, subjectPageId } from './audit-record.schema';
import { byIds } from '../mongo/by-id';
import { groupBy } from '../group-by';
import { bulkWriteInChunks, insertEach, isDuplicateKeyError } from '../mongo/bulk-write';

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const ID_PARAM = /^[A-Za-z0-9_.:-]{1,128}$/;

/** The audit queue is written at least this often, or at once when this many records wait. */
const FLUSH_EVERY_MS = 100;
const FLUSH_AT = 500;
/** Records held at most while the database is slow or away; beyond, new ones are dropped, loudly. */
const MAX_QUEUED = 100_000;
/** Pages of a subject read in parallel when looking for the newest, or reading back from it. */
const READ_AHEAD = 4;
const READ_BACK = 8;
/** The head hint of a subject is written at every this many pages (it lags by fewer, so reads stay one round). */
const HEAD_EVERY = READ_AHEAD;
const MAX_HINTS = 100_000;

interface Queued {
  record: AuditRecord;
  subjects: string[];
  done: () => void;
}

export interface AuditQuery {
  actor?: string;
  route?: string;
  since?: Date;
  limit: number;
}

/**
 * Records every write (whoever makes it), every denied call (401/403, with or without a key), every read of a
 * route marked @AuditReads (clear identity codes) and every read of personal data (@ReadsPersonalData) with the
 * subjects it named, and answers the admin's audit queries: by actor and route, and by subject ("who read this
 * person's data", from the subject's pages by `_id`).
 *
 * Records are queued and written in batches off the request's path (one insertMany, and one page insert per
 * subject, per flush): a read costs the request an array push. The queue is flushed before shutdown.
 */
@Injectable()
export class AuditTrail implements BeforeApplicationShutdown {
  private readonly logger = new Logger(AuditTrail.name);
  private queue: Queued[] = [];
  private timer?: NodeJS.Timeout;
  private draining?: Promise<void>;
  /** The newest page this process knows per subject: spares the append its read forward. A hint only. */
  private readonly lastPage = new Map<string, number>();

  constructor(
    @InjectModel(AuditRecord.name) private readonly records: Model<AuditRecord>,
    @InjectModel(SubjectReadPage.name) private readonly pages: Model<SubjectReadPage>,
    @InjectModel(SubjectReadHead.name) private readonly heads: Model<SubjectReadHead>,
    private readonly config: ServiceConfig,
  ) {}

  async beforeApplicationShutdown(): Promise<void> {
    await this.flush();
  }

  /**
   * The one rule of what is audited. A denied call is recorded whoever made it, so probing leaves a trace; its
   * volume is bounded by the rate limit on failed authentication per client address.
   */
  shouldRecord(method: string, actor: Actor | undefined, status: number, auditedRead = false): boolean {
    if (status === 401 || status === 403) return true;
    if (actor === undefined) return false;
    return WRITE_METHODS.has(method) || auditedRead;
  }

  async record(entry: {
    actor: Actor | undefined;
    method: string;
    route: string;
    params: Record<string, string>;
    status: number;
    requestId: string;
    /** The subjects whose personal data a successful read returned (PersonalDataReadInterceptor). */
    subjects?: string[];
    /** A bulk write's summary (counts and hashes only). */
    details?: Record<string, string | number>;
  }): Promise<void> {
    const target = Object.fromEntries(
      Object.entries(entry.params).filter(([, v]) => ID_PARAM.test(v) && !v.includes('@')),
    );
    const subjects = entry.status < 400 ? (entry.subjects ?? []) : [];
    const record: AuditRecord = {
      _id: randomUUID(),
      at: new Date(),
      actor: entry.actor?.keyId ?? 'anonymous',
      ...(entry.actor?.name !== undefined ? { actorName: entry.actor.name } : {}),
      role: entry.actor?.role ?? 'none',
      service: this.config.service.name,
      method: entry.method,
      route: entry.route,
      target,
      ...(subjects.length > 0 ? { subjects: subjects.slice(0, MAX_SUBJECTS_PER_READ) } : {}),
      ...(subjects.length > MAX_SUBJECTS_PER_READ ? { subjectsOmitted: subjects.length - MAX_SUBJECTS_PER_READ } : {}),
      ...(entry.details !== undefined && entry.status < 400 ? { details: entry.details } : {}),
      status: entry.status,
      outcome: entry.status < 400 ? 'success' : entry.status < 500 ? 'rejected' : 'failed',
      requestId: entry.requestId,
    };
    if (this.queue.length >= MAX_QUEUED) {
      this.logger.error({ route: entry.route, queued: this.queue.length }, 'audit queue full: record dropped');
      return Promise.resolve();
    }
    return new Promise((done) => {
      this.queue.push({ record, subjects: subjects.slice(0, MAX_SUBJECTS_PER_READ), done });
      if (this.queue.length >= FLUSH_AT) void this.flush();
      else if (this.timer === undefined) {
        this.timer = setTimeout(() => {
          this.timer = undefined;
          void this.flush();
        }, FLUSH_EVERY_MS);
        this.timer.unref();
      }
    });
  }

  /** Writes everything queued so far (and what arrives meanwhile); one writer at a time. */
  flush(): Promise<void> {
    if (this.draining !== undefined) return this.draining;
    if (this.queue.length === 0) return Promise.resolve();
    const draining = (async () => {
      // Yield first, so that `draining` is set before the loop can end and clear it.
      await Promise.resolve();
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, FLUSH_AT);
        try {
          await this.write(batch);
        } catch (error) {
          this.logger.error({ err: error, records: batch.length }, 'audit batch could not be written');
          for (const q of batch) q.done();
        }
      }
    })().finally(() => {
      if (this.draining === draining) this.draining = undefined;
      // A record queued while the last batch was written, whose timer found this drain still running.
      if (this.queue.length > 0) void this.flush();
    });
    this.draining = draining;
    return draining;
  }

  private async write(batch: Queued[]): Promise<void> {
    try {
      await this.records.insertMany(
        batch.map((q) => q.record),
        { ordered: false },
      );
    } catch (error) {
      // The responses are already sent; the failure is loud in the logs.
      this.logger.error({ err: error, records: batch.length }, 'audit records could not be written');
    }
    const reads = batch.flatMap(({ record, subjects }) => {
      const read: SubjectRead = {
        recordId: record._id,
        at: record.at,
        actor: record.actor,
        ...(record.actorName !== undefined ? { actorName: record.actorName } : {}),
        role: record.role,
        method: record.method,
        route: record.route,
        requestId: record.requestId,
      };
      return subjects.map((subject) => ({ subject, read }));
    });
    const bySubject = new Map(
      [...groupBy(reads, ({ subject }) => subject)].map(([subject, of]) => [subject, of.map(({ read }) => read)]),
    );
    try {
      await this.appendPages(bySubject);
    } catch (error) {
      this.logger.error({ err: error, subjects: bySubject.size }, 'subject reads could not be written');
    }
    for (const q of batch) q.done();
  }

  /**
   * One page of reads per subject, at each subject's next free page number, decided by the unique `_id`: the pages of
   * all subjects of a flush in one insert, after one read of the heads and one of the candidate pages for the subjects
   * this process holds no hint of (a flush of K subjects cost up to 7K commands one by one: the read audit of a lookup
   * wrote three times the commands of the lookup itself, and its bursts made the lookups' p99, issue 20).
   */
  private async appendPages(bySubject: Map<string, SubjectRead[]>): Promise<void> {
    // Per subject: the newest page known (this process's hint), else where to look for it from (undefined: its head).
    let waiting: { subject: string; newest?: number; from?: number }[] = [...bySubject.keys()].map((subject) => ({
      subject,
      newest: this.lastPage.get(subject),
    }));
    for (let attempt = 0; waiting.length > 0; attempt++) {
      if (attempt === 100) throw new Error('no free page for the subject after 100 attempts');
      const found = await this.newestPages(waiting.filter((w) => w.newest === undefined));
      const tries = waiting.map(({ subject, newest }) => ({ subject, page: (newest ?? found.get(subject)!) + 1 }));
      // Straight to the driver (no mongoose document per page): a page is written for every audited read.
      const errors = await insertEach(
        this.pages,
        tries.map(({ subject, page }) => ({
          _id: subjectPageId(subject, page),
          subject,
          page,
          reads: bySubject.get(subject),
        })),
      );
      // A page that failed otherwise is logged and given up, as one subject's failure was before; the rest go on.
      const failed = errors.filter((error) => error !== undefined && !isDuplicateKeyError(error));
      if (failed.length > 0)
        this.logger.error({ err: failed[0], subjects: failed.length }, 'subject reads could not be written');
      const written = tries.filter((_, i) => errors[i] === undefined);
      if (this.lastPage.size + written.length > MAX_HINTS) this.lastPage.clear();
      for (const { subject, page } of written) this.lastPage.set(subject, page);
      await bulkWriteInChunks(
        this.heads,
        written
          .filter(({ page }) => page % HEAD_EVERY === 0)
          .map(({ subject, page }) => ({
            updateOne: { filter: { _id: subject }, update: { $set: { page } }, upsert: true },
          })),
        { ordered: false },
      );
      // Another instance took these numbers: look for the newest from there.
      waiting = tries
        .filter((_, i) => errors[i] !== undefined && isDuplicateKeyError(errors[i]))
        .map(({ subject, page }) => ({ subject, from: page }));
    }
  }

  /**
   * The newest page of each subject (0: none), reading forward from `from` or the subject's head hint until one is
   * missing: the heads in one read, then the next READ_AHEAD pages of every subject in one read per round.
   */
  private async newestPages(subjects: readonly { subject: string; from?: number }[]): Promise<Map<string, number>> {
    const heads = await byIds<SubjectReadHead>(
      this.heads,
      subjects.filter((s) => s.from === undefined).map((s) => s.subject),
    );
    // Per subject, a page known to exist (0: none known).
    let looking = subjects.map(({ subject, from }) => ({ subject, known: from ?? heads.get(subject)?.page ?? 0 }));
    const newest = new Map<string, number>();
    while (looking.length > 0) {
      const candidates = (after: number) => Array.from({ length: READ_AHEAD }, (_, i) => after + 1 + i);
      const pages = await byIds<SubjectReadPage>(
        this.pages,
        looking.flatMap(({ subject, known }) => candidates(known).map((n) => subjectPageId(subject, n))),
      );
      const further: typeof looking = [];
      for (const { subject, known } of looking) {
        const missing = candidates(known).findIndex((n) => !pages.has(subjectPageId(subject, n)));
        if (missing === -1) further.push({ subject, known: known + READ_AHEAD });
        else newest.set(subject, known + missing);
      }
      looking = further;
    }
    return newest;
  }

  /** Who read a subject's data in this service, newest first, as audit records (`target.subject`). */
  async readsOf(subject: string, limit: number, since?: Date): Promise<AuditRecord[]> {
    const newest = (await this.newestPages([{ subject }])).get(subject)!;
    const reads: SubjectRead[] = [];
    for (let top = newest; top >= 1 && reads.length < limit; top -= READ_BACK) {
      const numbers = Array.from({ length: Math.min(READ_BACK, top) }, (_, i) => top - i);
      const found = await byIds<SubjectReadPage>(
        this.pages,
        numbers.map((n) => subjectPageId(subject, n)),
      );
      const pages = numbers.map((n) => found.get(subjectPageId(subject, n)));
      for (const page of pages) if (page) reads.push(...page.reads);
      // Pages are in time order: once a page is older than `since`, the rest are too.
      if (since !== undefined && pages.some((p) => p?.reads.every((r) => new Date(r.at) < since))) break;
    }
    return reads
      .filter((r) => since === undefined || new Date(r.at) >= since)
      .sort((a, b) => new Date(b.at).getTime() - new Date(a.at).getTime())
      .slice(0, limit)
      .map((r) => ({
        _id: r.recordId,
        at: new Date(r.at),
        actor: r.actor,
        ...(r.actorName !== undefined ? { actorName: r.actorName } : {}),
        role: r.role,
        service: this.config.service.name,
        method: r.method,
        route: r.route,
        target: { subject },
        status: 200,
        outcome: 'success' as const,
        requestId: r.requestId,
      }));
  }

  /**
   * A write the service made on its own (a scheduled job), recorded as a call would be: `actor` names the job
   * (`system:retention`), the role is `system`. Returns the record's id.
   */
  async recordSystem(entry: {
    actor: string;
    method: string;
    route: string;
    target: Record<string, string>;
    status: number;
    requestId: string;
  }): Promise<string> {
    const _id = randomUUID();
    await this.records.create({
      _id,
      at: new Date(),
      role: 'system',
      service: this.config.service.name,
      outcome: entry.status < 400 ? 'success' : 'failed',
      ...entry,
    });
    return _id;
  }

  async find(query: AuditQuery): Promise<AuditRecord[]> {
    const filter: Record<string, unknown> = {};
    if (query.actor) filter.actor = query.actor;
    if (query.route) filter.route = query.route;
    if (query.since) filter.at = { $gte: query.since };
    return this.records.find(filter).sort({ at: -1 }).limit(query.limit).lean();
  }
}
