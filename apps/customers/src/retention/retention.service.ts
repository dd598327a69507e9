import { HttpException, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Actor, AuditTrail, counter, gauge, ServiceConfig } from '@kielto/platform';
import { CustomersEnv } from '../customers.env';
import type { CustomerRecord } from '../customers/customer-record';
import { CustomerStore } from '../customers/customer-store';
import { CustomersRepository, RetentionHint } from '../customers/customers.repository';
import { CustomersService } from '../customers/customers.service';
import { retentionCutoff, retentionVerdict, stillEndedAt } from './retention-policy';
import { RetentionRepository } from './retention.repository';

/** What GET /v1/retention/due lists: ids, customer numbers and dates only. */
export interface DueCustomer {
  id: string;
  customerNumber: string;
  relationshipEndedAt: string;
}

export interface RetentionDue {
  asOf: string;
  /** Relationships that ended before this instant are due. */
  cutoff: string;
  retentionDays: number;
  due: DueCustomer[];
  /** Due but kept by a legal hold in force. */
  held: number;
}

export interface RetentionRunReport {
  runId: string;
  trigger: 'scheduled' | 'manual';
  startedAt: string;
  finishedAt: string;
  cutoff: string;
  erased: DueCustomer[];
  held: number;
  /** Erasures that failed (logged with the customer id); the next run tries again. */
  failed: number;
}

const dueCustomer = (hint: RetentionHint, record: CustomerRecord): DueCustomer => ({
  id: hint.customerId,
  customerNumber: record.customerNumber,
  relationshipEndedAt: hint.endedAt,
});

/** The actor of the job's erasures, in logs and the audit trail. */
export const RETENTION_ACTOR: Actor = { keyId: 'system:retention', role: 'admin' };
/** How often each instance looks whether the current interval's run is claimed yet. */
const TICK_MAX_MS = 60_000;

const retentionDue = gauge(
  'kielto_retention_due',
  'Customers the next retention run would erase, as of the last evaluation (start-up, each run, GET /v1/retention/due)',
  ['service'],
);
const retentionErased = counter('kielto_retention_erased_total', 'Customers erased by the retention job', [
  'service',
  'trigger',
]);

/**
 * The retention job (GDPR Art 5(1)(e)): erases, by the same path as DELETE /v1/customers/:id, every customer whose
 * relationship ended more than KIELTO_RETENTION_DAYS ago and who has no legal hold in force. Scheduled once per
 * KIELTO_RETENTION_INTERVAL_MS in the cluster: every instance looks each minute (or interval, if shorter) whether
 * the current interval's run is claimed, and the one whose claim wins runs it (RetentionRunDoc). Runs of one
 * instance take turns; runs of two instances may overlap (a manual one beside a scheduled one) without harm, since
 * each erasure commits on the version it checked and a customer erased meanwhile is skipped.
 */
@Injectable()
export class RetentionService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RetentionService.name);
  private readonly instance = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private timer?: NodeJS.Timeout;
  private lastInterval?: number;
  private turn: Promise<unknown> = Promise.resolve();
  private stopping = false;
  private busy = false;

  constructor(
    private readonly customers: CustomersService,
    private readonly store: CustomerStore,
    private readonly repository: CustomersRepository,
    private readonly runs: RetentionRepository,
    private readonly audit: AuditTrail,
    private readonly env: CustomersEnv,
    private readonly config: ServiceConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.backfill();
    const interval = this.env.KIELTO_RETENTION_INTERVAL_MS;
    if (interval > 0) this.timer = setInterval(() => void this.tick(), Math.min(interval, TICK_MAX_MS)).unref();
    await this.due().catch((error: unknown) => this.logger.warn({ err: error }, 'retention due not evaluated'));
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    await this.turn.catch(() => undefined);
  }

  /** What a run now would erase. */
  async due(now = Date.now()): Promise<RetentionDue> {
    const cutoff = retentionCutoff(now, this.env.KIELTO_RETENTION_DAYS);
    const due: DueCustomer[] = [];
    let held = 0;
    for (const hint of await this.repository.retentionHintsBefore(new Date(cutoff).toISOString())) {
      const current = await this.store.load(hint.customerId);
      const verdict = retentionVerdict(hint.endedAt, current, cutoff, now);
      if (verdict === 'held') held++;
      if (verdict === 'due' && current && !current.erased) due.push(dueCustomer(hint, current.record));
    }
    retentionDue.set({ service: this.config.service.name }, due.length);
    return {
      asOf: new Date(now).toISOString(),
      cutoff: new Date(cutoff).toISOString(),
      retentionDays: this.env.KIELTO_RETENTION_DAYS,
      due,
      held,
    };
  }

  /** POST /v1/retention/run: a run now, after any run of this instance under way. */
  runNow(): Promise<RetentionRunReport> {
    const startedAt = new Date();
    const runId = `manual:${startedAt.toISOString()}:${randomUUID()}`;
    return this.inTurn(async () => {
      await this.runs.claim(runId, 'manual', this.instance);
      return this.run(runId, 'manual');
    });
  }

  /** Claims the current interval's run unless this instance saw it claimed; runs it when the claim wins. */
  async tick(now = Date.now()): Promise<void> {
    const interval = Math.floor(now / this.env.KIELTO_RETENTION_INTERVAL_MS);
    // A run still under way here lets the interval pass: no queue of runs builds up behind a slow one.
    if (this.stopping || this.busy || interval === this.lastInterval) return;
    const runId = `scheduled:${new Date(interval * this.env.KIELTO_RETENTION_INTERVAL_MS).toISOString()}`;
    try {
      const won = await this.runs.claim(runId, 'scheduled', this.instance);
      this.lastInterval = interval;
      if (won) await this.inTurn(() => this.run(runId, 'scheduled'));
    } catch (error) {
      this.logger.warn({ err: error, runId }, 'retention run failed; the next interval runs again');
    }
  }

  /** One run: every due customer erased, stale hints dropped. Called only by the holder of `runId`. */
  async run(runId: string, trigger: RetentionRunReport['trigger']): Promise<RetentionRunReport> {
    const startedAt = new Date();
    const now = startedAt.getTime();
    const cutoff = retentionCutoff(now, this.env.KIELTO_RETENTION_DAYS);
    const erased: DueCustomer[] = [];
    let held = 0;
    let failed = 0;
    for (const hint of await this.repository.retentionHintsBefore(new Date(cutoff).toISOString())) {
      if (this.stopping) break;
      try {
        const outcome = await this.apply(hint, cutoff, now, runId);
        if (outcome === 'held') held++;
        else if (outcome !== undefined) {
          erased.push(outcome);
          retentionErased.inc({ service: this.config.service.name, trigger });
        }
      } catch (error) {
        failed++;
        this.logger.error({ err: error, customerId: hint.customerId, runId }, 'retention erasure failed');
      }
    }
    await this.runs.finish(runId, { erased: erased.length, held, failed });
    retentionDue.set({ service: this.config.service.name }, failed);
    this.logger.log({ runId, erased: erased.length, held, failed }, 'retention run done');
    return {
      runId,
      trigger,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      cutoff: new Date(cutoff).toISOString(),
      erased,
      held,
      failed,
    };
  }

  /** The erased customer, `held`, or undefined when there was nothing to do. */
  private async apply(
    hint: RetentionHint,
    cutoff: number,
    now: number,
    runId: string,
  ): Promise<DueCustomer | 'held' | undefined> {
    const current = await this.store.load(hint.customerId);
    const verdict = retentionVerdict(hint.endedAt, current, cutoff, now);
    if (verdict === 'stale') await this.repository.dropRetentionHint(hint.id);
    if (verdict !== 'due' || !current || current.erased) return verdict === 'held' ? 'held' : undefined;
    try {
      await this.customers.erase(hint.customerId, RETENTION_ACTOR, {
        holds: (record) => stillEndedAt(record, hint.endedAt),
        problemType: 'not-due',
        detail: 'The relationship changed since the retention job found it due',
      });
    } catch (error) {
      // Changed meanwhile (erased, resumed, held): the hint is decided again by the next run.
      if (error instanceof HttpException && [404, 409].includes(error.getStatus())) return undefined;
      throw error;
    }
    await this.audit.recordSystem({
      actor: RETENTION_ACTOR.keyId,
      method: 'DELETE',
      route: '/v1/customers/:id',
      target: { id: hint.customerId },
      status: 202,
      requestId: runId,
    });
    await this.repository.dropRetentionHint(hint.id);
    return dueCustomer(hint, current.record);
  }

  private inTurn<T>(action: () => Promise<T>): Promise<T> {
    const next = this.turn
      .catch(() => undefined)
      .then(async () => {
        this.busy = true;
        try {
          return await action();
        } finally {
          this.busy = false;
        }
      });
    this.turn = next;
    return next;
  }

  /**
   * Former customers stored before the hints existed get theirs once, from the read model; marked done only after
   * every customer was seen, so a crash repeats it (ensuring is idempotent).
   */
  private async backfill(): Promise<void> {
    if (await this.repository.retentionBackfillDone()) return;
    let hinted = 0;
    for await (const record of this.repository.projectedRecords()) {
      if (record.activeContract || !record.relationshipEndedAt) continue;
      await this.repository.ensureRetentionHint(record.id, record.relationshipEndedAt);
      hinted++;
    }
    await this.repository.markRetentionBackfillDone();
    if (hinted > 0) this.logger.log({ hinted }, 'retention hints backfilled');
  }
}
