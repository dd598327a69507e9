import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { CloudEventV1, TOPICS } from '@kielto/contracts';
import { ConcurrentModificationError, EventLog, NotYetPublishedError } from '@kielto/platform';
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

  constructor(
    private readonly eventLog: EventLog,
    private readonly repository: CustomersRepository,
    private readonly lookups: CustomerLookups,
  ) {}

  onModuleInit(): void {
    // Runs after every append and for every event the outbox relay publishes (also after a restart), so a
    // crash between the append and the projection heals on the next relay sweep.
    // Transient errors propagate (the relay retries); a broken invariant is logged rather than blocking the relay.
    this.eventLog.registerProjector(TOPICS.customers, async (event) => {
      try {
        await this.sync(event.subject);
      } catch (error) {
        if (!(error instanceof MissingRevisionError)) throw error;
        this.logger.error({ customerId: event.subject, err: error }, 'customer read model cannot be rebuilt');
      }
    });
  }

  /** The customer's committed events, oldest first. */
  events(customerId: string): Promise<CloudEventV1[]> {
    return this.eventLog.history(TOPICS.customers, customerId);
  }

  /** The newest committed version: read by key, without reading the events. */
  private committedVersion(customerId: string): Promise<number> {
    return this.eventLog.newestSequence(TOPICS.customers, customerId);
  }

  /** The committed state: the revision of the newest event in the log. Undefined for an unknown id. */
  async load(customerId: string): Promise<CommittedCustomer | undefined> {
    for (let attempt = 0; attempt < READ_ATTEMPTS; attempt++) {
      const version = await this.committedVersion(customerId);
      if (version === 0) return undefined;
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
    const version = change.baseVersion + 1;
    const proposed = await this.repository.insertRevision({
      customerId: change.customerId,
      version,
      type: change.type,
      payload: change.payload as Record<string, unknown>,
      record: change.record,
      erasedAt: change.erasedAt,
    });
    if (!proposed) {
      // Someone else proposed this version. If that writer died before appending, finish its work so the
      // customer is not blocked for ever; either way this change lost the race.
      await this.complete(change.customerId, version);
      throw new ConcurrentModificationError();
    }
    try {
      await this.eventLog.append({
        topic: TOPICS.customers,
        aggregateId: change.customerId,
        type: change.type,
        data: change.payload,
        expectedSequence: version,
        // A create's id is a fresh UUID: no events to read first (the unique position still decides).
        newAggregate: change.baseVersion === 0,
      });
    } catch (error) {
      // The event of `version` can only have come from our revision (the only one of that version), appended by
      // a helper; and an append can fail after the insert (e.g. in the projection). The log decides.
      if ((await this.committedVersion(change.customerId)) < version) throw error;
      await this.sync(change.customerId).catch((e: unknown) =>
        this.logger.warn({ err: e, customerId: change.customerId }, 'read model not updated; the relay sweep will'),
      );
      // Committed but not yet on Kafka (the relay publishes it later): do not report success before consumers,
      // suppression above all, can see the change.
      if (error instanceof NotYetPublishedError) throw error;
      // Committed although the append failed (its insert's answer was lost): the event may still be only in the
      // log, and suppression's asOf would pass this acknowledgement without it (issue 20). Publish it first.
      await this.eventLog.ensurePublished(TOPICS.customers, change.customerId);
    }
    return version;
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
