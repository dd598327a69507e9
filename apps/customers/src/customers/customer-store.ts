import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { CloudEventV1, CUSTOMER_EVENT_TYPES, TOPICS } from '@kielto/contracts';
import { ConcurrentModificationError, EventLog, mapLimited, NotYetPublishedError } from '@kielto/platform';
import { CommittedCustomer, CustomerRecord } from './customer-record';
import { CustomerLookups } from './customer-lookups';
import { CustomersRepository } from './customers.repository';

export interface Change {
  customerId: string;
  /** The committed version the change was computed from (0 for a new customer). */
  baseVersion: number;
  /** Event type and its public payload. */
  type: string;
  payload: object;
  /** The private state after the change; absent for an erasure. */
  record?: CustomerRecord;
  erasedAt?: string;
}

const READ_ATTEMPTS = 5;
/** Customers read, synced or completed at once by the batch paths. */
const CONCURRENCY = 32;

export type CommitOutcome = { ok: true; version: number } | { ok: false; error: unknown };

/** An event without its revision: data was removed by hand. Retrying cannot help, so it is not retried. */
export class MissingRevisionError extends Error {}
const SYNC_ATTEMPTS = 10;

/**
 * The write protocol of CustomersService (see the comment there): revisions first, the event log as the commit
 * point, the read model as a self-healing projection. This class holds the mechanics; the rules are elsewhere.
 */
@Injectable()
export class CustomerStore implements OnModuleInit {
  private readonly logger = new Logger(CustomerStore.name);
  /**
   * New customers whose read model commitMany inserted with their first revision and whose creation it is appending:
   * the projection of that event is done already (see commitMany).
   */
  private readonly projectedAhead = new Set<string>();

  constructor(
    private readonly eventLog: EventLog,
    private readonly repository: CustomersRepository,
    private readonly lookups: CustomerLookups,
  ) {}

  onModuleInit(): void {
    // Runs after every append and for every event the outbox relay publishes (also after a restart), so a
    // crash between the append and the projection heals on the next relay sweep.
    // Transient errors propagate (the relay retries); a broken invariant is logged rather than blocking the relay.
    this.eventLog.registerProjector(
      TOPICS.customers,
      (event) => this.project(event.subject),
      (events) => this.projectMany(events),
    );
  }

  private async project(customerId: string): Promise<void> {
    try {
      await this.sync(customerId);
    } catch (error) {
      if (!(error instanceof MissingRevisionError)) throw error;
      this.logger.error({ customerId, err: error }, 'customer read model cannot be rebuilt');
    }
  }

  /**
   * The projection of freshly appended events (EventLog.appendMany): a creation whose read model commitMany
   * inserted with its proposal needs nothing more; everything else is synced.
   */
  private async projectMany(events: readonly CloudEventV1[]): Promise<void> {
    const rest = events.filter(
      (e) => !(e.sequence === 1 && e.type === CUSTOMER_EVENT_TYPES.created && this.projectedAhead.has(e.subject)),
    );
    await mapLimited([...new Set(rest.map((e) => e.subject))], CONCURRENCY, (id) => this.project(id));
  }

  /** The customer's committed events, oldest first. */
  events(customerId: string): Promise<CloudEventV1[]> {
    return this.eventLog.history(TOPICS.customers, customerId);
  }

  /** The newest committed version: read by key, without reading the events. */
  private committedVersion(customerId: string): Promise<number> {
    return this.eventLog.newestSequence(TOPICS.customers, customerId);
  }

  /**
   * The committed state: the revision of the newest event in the log. Undefined for an unknown id. The read model is
   * read beside the log: when it holds the committed version it holds that revision's record (sync writes it from
   * there, a create inserts it from the same record), which spares the read of the revision after the log's (issue
   * 20: a lookup was three rounds to the database one after the other). Else the revision decides, as always.
   */
  async load(customerId: string): Promise<CommittedCustomer | undefined> {
    for (let attempt = 0; attempt < READ_ATTEMPTS; attempt++) {
      const [version, projected] = await Promise.all([
        this.committedVersion(customerId),
        this.repository.findProjection(customerId),
      ]);
      if (version === 0) return undefined;
      if (projected?.version === version) return { erased: false, version, record: projected.record };
      const revision = await this.repository.findRevision(customerId, version);
      if (!revision)
        throw new MissingRevisionError(`customer ${customerId} has event ${version} but no revision of it`);
      if (revision.erasedAt !== undefined) return { erased: true, version, erasedAt: revision.erasedAt };
      if (revision.record) return { erased: false, version, record: revision.record };
      // Stubbed between our two reads: a newer version was committed meanwhile. Read again.
    }
    throw new ConcurrentModificationError();
  }

  /**
   * Commits a change computed from `baseVersion`. Throws ConcurrentModificationError when another change got
   * that version first (the caller re-reads and decides again).
   */
  async commit(change: Change): Promise<number> {
    const [outcome] = await this.commitMany([change]);
    if (!outcome.ok) throw outcome.error;
    return outcome.version;
  }

  /**
   * Commits changes of different customers at once (a bulk import's creates): their revisions in few commands,
   * their events by one batch append with one wait for Kafka. Per change, the outcome `commit` would have had.
   */
  async commitMany(changes: readonly Change[]): Promise<CommitOutcome[]> {
    const versionOf = (change: Change) => change.baseVersion + 1;
    const proposed = await this.repository.insertRevisions(
      changes.map((change) => ({
        customerId: change.customerId,
        version: versionOf(change),
        type: change.type,
        payload: change.payload as Record<string, unknown>,
        record: change.record,
        erasedAt: change.erasedAt,
      })),
    );
    const outcomes = new Array<CommitOutcome>(changes.length);
    const settle = async (i: number, attempt: () => Promise<number>) => {
      try {
        outcomes[i] = { ok: true, version: await attempt() };
      } catch (error) {
        outcomes[i] = { ok: false, error };
      }
    };
    const lost = changes.flatMap((_, i) => (proposed[i] ? [] : [i]));
    await mapLimited(lost, CONCURRENCY, (i) =>
      settle(i, async () => {
        // Someone else proposed this version. If that writer died before appending, finish its work so the
        // customer is not blocked for ever; either way this change lost the race.
        await this.complete(changes[i].customerId, versionOf(changes[i]));
        throw new ConcurrentModificationError();
      }),
    );
    const mine = changes.flatMap((_, i) => (proposed[i] ? [i] : []));
    // A new customer's read model is its first revision, which is what `sync` would write once it is committed;
    // inserted now (never over an existing one), before the commit, it costs no read after it, and an erasure, which
    // can only follow the commit, always finds it to delete. Until the commit it is a proposal's, as the revision
    // is; the read model is read by the start-up backfills only, which are harmless for a proposal.
    const created = mine.filter((i) => changes[i].baseVersion === 0 && changes[i].record);
    const projected = await this.repository.insertProjections(created.map((i) => changes[i].record!));
    const ahead = created.filter((_, n) => projected[n]).map((i) => changes[i].customerId);
    for (const id of ahead) this.projectedAhead.add(id);
    const appended = await this.eventLog
      .appendMany(
        mine.map((i) => ({
          topic: TOPICS.customers,
          aggregateId: changes[i].customerId,
          type: changes[i].type,
          data: changes[i].payload,
          expectedSequence: versionOf(changes[i]),
          // A create's id is a fresh UUID: no events to read first (the unique position still decides).
          newAggregate: changes[i].baseVersion === 0,
        })),
      )
      .finally(() => {
        for (const id of ahead) this.projectedAhead.delete(id);
      });
    await mapLimited(
      mine.map((i, n) => ({ i, outcome: appended[n] })),
      CONCURRENCY,
      ({ i, outcome }) =>
        settle(i, async () => {
          if (!outcome.ok) await this.committedDespite(changes[i].customerId, versionOf(changes[i]), outcome.error);
          return versionOf(changes[i]);
        }),
    );
    return outcomes;
  }

  /**
   * An append of `version` failed: throws unless the version is committed all the same, and then returns once its
   * event is on Kafka. The event of `version` can only have come from our revision (the only one of that version),
   * appended by a helper; and an append can fail after the insert (e.g. in the projection). The log decides.
   */
  private async committedDespite(customerId: string, version: number, error: unknown): Promise<void> {
    if ((await this.committedVersion(customerId)) < version) throw error;
    await this.sync(customerId).catch((e: unknown) =>
      this.logger.warn({ err: e, customerId }, 'read model not updated; the relay sweep will'),
    );
    // Committed but not yet on Kafka (the relay publishes it later): do not report success before consumers,
    // suppression above all, can see the change.
    if (error instanceof NotYetPublishedError) throw error;
    // Committed although the append failed (its insert's answer was lost): the event may still be only in the
    // log, and suppression's asOf would pass this acknowledgement without it (issue 20). Publish it first.
    await this.eventLog.ensurePublished(TOPICS.customers, customerId);
  }

  /**
   * For a retried import of a customer found proposed: appends its first event if the attempt stopped before that,
   * and returns once the customer's events are on Kafka (the retry's acknowledgement must cover them, issue 20).
   */
  async finishCreation(customerId: string): Promise<void> {
    await this.complete(customerId, 1);
    await this.eventLog.ensurePublished(TOPICS.customers, customerId);
  }

  /** Appends the event of a revision whose writer has not (yet) done so. Idempotent. */
  private async complete(customerId: string, version: number): Promise<void> {
    if ((await this.committedVersion(customerId)) !== version - 1) return;
    const revision = await this.repository.findRevision(customerId, version);
    if (!revision?.payload) return;
    try {
      await this.eventLog.append({
        topic: TOPICS.customers,
        aggregateId: customerId,
        type: revision.type,
        data: revision.payload,
        expectedSequence: version,
      });
      this.logger.warn({ customerId, version }, 'completed a change whose writer had stopped before publishing it');
    } catch (error) {
      if (!(error instanceof ConcurrentModificationError)) throw error;
    }
  }

  /**
   * Brings the read model (and the redaction of superseded data) in line with the committed state. Idempotent
   * and safe to run concurrently: after writing it re-reads, and repeats while the read model is behind the
   * log, so whichever run writes last also checks last.
   */
  async sync(customerId: string): Promise<void> {
    for (let attempt = 0; attempt < SYNC_ATTEMPTS; attempt++) {
      const current = await this.load(customerId);
      if (!current) return;
      if (current.erased) {
        await this.repository.deleteProjection(customerId);
      } else {
        await this.repository.replaceProjection(current.record, current.version);
        // The retention job finds former customers by these hints (a resumed contract leaves a stale one it drops).
        const { activeContract, relationshipEndedAt } = current.record;
        if (!activeContract && relationshipEndedAt)
          await this.repository.ensureRetentionHint(customerId, relationshipEndedAt);
        // Repairs a slot vacated by a concurrent writer (see CustomerLookups) or missing for an older record.
        await this.lookups.ensure(customerId, this.lookups.keysOf(current.record));
      }
      await this.repository.stubRevisionsBelow(customerId, current.version);
      // Older published events carried superseded personal data (listing); keep only the newest payload.
      await this.eventLog.redact(TOPICS.customers, customerId, current.version, { customerId, redacted: true });
      const latest = await this.committedVersion(customerId);
      const projected = await this.repository.projectionVersion(customerId);
      if (latest === current.version && (current.erased ? projected === undefined : projected === latest)) return;
    }
    this.logger.warn({ customerId }, 'read model did not settle; the next write or relay sweep repairs it');
  }
}
