import { BeforeApplicationShutdown, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { randomUUID } from 'node:crypto';
import { Model } from 'mongoose';
import { cloudEvent, CloudEventV1 } from '@kielto/contracts';
import { ServiceConfig } from '../config/service-config';
import { ProblemException } from '../http/problem';
import { consumerHandlerContext } from '../kafka/consumer-context';
import { KafkaService } from '../kafka/kafka.service';
import { bulkWriteInChunks } from '../mongo/bulk-write';
import { OutboxEvent } from './outbox-event.schema';

export class ConcurrentModificationError extends Error {
  constructor() {
    super('The record was changed by another request; try again');
  }
}

export interface AppendRequest<T> {
  topic: string;
  aggregateId: string;
  type: string;
  /** The payload, or a function of the sequence the event gets (for payloads that carry it). */
  data: T | ((sequence: number) => T);
  /** Optimistic concurrency: fail with ConcurrentModificationError unless the event gets this sequence. */
  expectedSequence?: number;
  /**
   * The aggregate id was generated for this append (a fresh UUID), so it has no events yet: the append takes
   * sequence 1 without reading the log (on FerretDB a scan). The unique index still decides if that was wrong.
   */
  newAggregate?: boolean;
  time?: Date;
}

type Projector = (event: CloudEventV1) => Promise<void>;

const isDuplicateKey = (e: unknown) => (e as { code?: number }).code === 11000;
const RELAY_BATCH = 500;
/** The relay retries what this process appended but could not publish yet (a broker outage) this often. */
const RELAY_INTERVAL_MS = 1000;
/**
 * And sweeps the log for pending events this often: what a crash or another instance left behind. A sweep reads
 * the outbox by its `pending` flag, which FerretDB serves by scanning the whole log, so it is not done per append.
 */
const SWEEP_EVERY_TICKS = 10;
/** Events appended here and not yet published, held in memory; beyond this the sweep finds the rest. */
const MAX_UNPUBLISHED_HELD = 50_000;
/** How long an append waits for its event to reach Kafka before the request fails with a 503. */
const PUBLISH_WAIT_MS = 10_000;

/**
 * The change is stored and the relay will publish it, but it could not be confirmed on Kafka in time (broker
 * unreachable). The request answers 503: the caller must not take the change as effective yet, and may retry.
 */
export class NotYetPublishedError extends ProblemException {
  constructor() {
    super(
      503,
      'not-yet-published',
      'The change is stored but could not be published yet; it takes effect once published. Retry to confirm.',
      undefined,
      { 'retry-after': '1' },
    );
  }
}

/**
 * Appends events to the service's log and publishes them to Kafka right after they are stored ("publish on
 * commit"), with a periodic sweep that publishes whatever a crash or a broker outage left behind.
 * Publication is at-least-once; consumers deduplicate by event id and order by sequence.
 *
 * An append returns only once its event is on Kafka, so an acknowledged write is never invisible to consumers:
 * suppression's `asOf` (the time its state covers every published event) then also covers every write
 * acknowledged before it, and a crash of the writing service right after answering cannot leave an opt-out
 * unpublished until the service comes back. That holds on every path to a 2xx: an append whose projection fails
 * after the insert still hands its event to the relay and waits for it (the relay projects it again first), and a
 * writer that acknowledges a change it finds already stored (a retry of a request whose answer was lost, an append
 * that reported an error after its insert) first calls `ensurePublished` (issue 20: a restriction acknowledged
 * while its event waited for the 10 s sweep was answered "allow" by a check 2.3 s later).
 */
@Injectable()
export class EventLog implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger(EventLog.name);
  private readonly projectors = new Map<string, Projector>();
  /** Publishes this process's appends from memory. */
  private readonly relayer = new Coalesced(
    () => this.relay(),
    (error) => this.logger.warn({ err: error }, 'outbox relay failed; will retry'),
  );
  /**
   * Reads the log for events still pending. It runs beside the relay, never in its way: on FerretDB a query by the
   * `pending` flag reads the whole log and may take seconds, which must not hold fresh appends.
   */
  private readonly sweeper = new Coalesced(
    () => this.sweepLog(),
    (error) => this.logger.warn({ err: error }, 'outbox sweep failed; will retry'),
  );
  private ticks = 0;
  private timer?: NodeJS.Timeout;
  /**
   * Appended (and projected) in this process and not yet on Kafka, in append order: the relay publishes them
   * without reading the log. Everything else the sweep finds is projected again before it is published.
   */
  private readonly unpublished = new Map<string, OutboxEvent>();
  /**
   * Held events whose projection has not run (it failed at append time, or the event was found in the log): the
   * relay runs the projector before publishing them, as the sweep does for what it finds.
   */
  private readonly unprojected = new Set<string>();
  /** Pending events found by the last sweep that are not on Kafka yet (the sweep publishes what it finds). */
  private sweptUnpublished = 0;
  private stopped = false;
  /**
   * Appends and flushes waiting for publication, by event (or flush) id, with the ticket they drew: the relay
   * settles its own events as it sends them, and a sweep that finds nothing more pending settles every other waiter
   * registered before it looked (another instance's relay may have published the event). An event may have several
   * waiters (its append, and a retry that found it stored).
   */
  private readonly awaitingPublication = new Map<string, Set<Waiter>>();
  private tickets = 0;
  /**
   * The last sequence this process saw per aggregate: a hint that spares the append its read of the log (on
   * FerretDB a scan of the whole outbox). A stale hint only costs a duplicate-key retry with a real read; the
   * unique index still decides. Hints never run ahead: the newest event of an aggregate is never deleted.
   */
  private readonly lastSequence = new Map<string, number>();

  constructor(
    @InjectModel(OutboxEvent.name) private readonly events: Model<OutboxEvent>,
    private readonly kafka: KafkaService,
    private readonly config: ServiceConfig,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => {
      if (++this.ticks % SWEEP_EVERY_TICKS === 0) this.sweep();
      this.kick();
    }, RELAY_INTERVAL_MS);
    this.timer.unref();
    this.sweep();
  }

  /**
   * A local read model that must reflect every event of a topic. It runs right after an append, and again for
   * every event the sweep publishes (one this process does not hold), so a crash between the append and the
   * projection heals itself.
   * Projectors must therefore be idempotent (apply an event only if newer than what they hold).
   */
  registerProjector(topic: string, projector: Projector): void {
    this.projectors.set(topic, projector);
  }

  async append<T extends object>(request: AppendRequest<T>): Promise<CloudEventV1<T>> {
    const key = hintKey(request.topic, request.aggregateId);
    let useHint = true;
    for (let attempt = 0; attempt < 200; attempt++) {
      const hint = useHint ? (this.lastSequence.get(key) ?? (request.newAggregate ? 0 : undefined)) : undefined;
      const last =
        hint ??
        (
          await this.events
            .findOne({ topic: request.topic, aggregateId: request.aggregateId }, { sequence: 1 })
            .sort({ sequence: -1 })
            .lean()
        )?.sequence ??
        0;
      const sequence = last + 1;
      if (request.expectedSequence !== undefined && sequence !== request.expectedSequence) {
        if (hint !== undefined) {
          useHint = false; // the hint may be behind the log: read it before deciding
          attempt--;
          continue;
        }
        throw new ConcurrentModificationError();
      }
      const data = typeof request.data === 'function' ? (request.data as (s: number) => T)(sequence) : request.data;
      const doc: OutboxEvent = {
        _id: randomUUID(),
        topic: request.topic,
        aggregateId: request.aggregateId,
        sequence,
        type: request.type,
        time: request.time ?? new Date(),
        data: data as Record<string, unknown>,
        pending: true,
      };
      try {
        await this.events.create(doc);
      } catch (error) {
        if (!isDuplicateKey(error)) {
          // The insert may have landed although its answer was lost (the database restarted): sweep for it.
          this.sweep();
          throw error;
        }
        this.lastSequence.delete(key);
        useHint = false;
        if (request.expectedSequence !== undefined) throw new ConcurrentModificationError();
        // Someone else took this sequence: read again and take the next one.
        await sleep(Math.random() * Math.min(50, 2 + attempt * 2));
        continue;
      }
      this.rememberSequence(key, sequence);
      const event = this.toCloudEvent(doc) as CloudEventV1<T>;
      // From here on the event is committed: whatever fails, it must reach Kafka, and the request may answer 2xx
      // only once it has. A projection that fails (the database went away after the insert) is therefore not the
      // request's failure but the relay's to repeat before it publishes; the request waits for that as for any
      // publication. (Throwing here left the event to the sweep, up to 10 s later, while the caller, finding it
      // committed, acknowledged it: issue 20.)
      const projected = await this.project(request.topic, event as CloudEventV1);
      if (this.unpublished.size < MAX_UNPUBLISHED_HELD) {
        this.unpublished.set(doc._id, doc);
        if (!projected) this.unprojected.add(doc._id);
      } else this.sweep();
      if (consumerHandlerContext.getStore()) {
        // Appended by a consumer: its offsets are committed after the handler and the relay publishes the event
        // even after a crash, so there is no caller to hold until Kafka has it (and a long wait would stall the batch).
        this.kick();
        return event;
      }
      await this.published(doc._id);
      return event;
    }
    throw new ConcurrentModificationError();
  }

  /** Runs the topic's projector; false (logged) when it failed and must run again before the event is published. */
  private async project(topic: string, event: CloudEventV1): Promise<boolean> {
    try {
      await this.projectors.get(topic)?.(event);
      return true;
    } catch (error) {
      this.logger.warn(
        { err: error, topic, aggregateId: event.subject, sequence: event.sequence },
        'projection after append failed; the relay projects the event again before publishing it',
      );
      return false;
    }
  }

  /**
   * Returns once every event of the aggregate stored so far is on Kafka, publishing those still pending (they are
   * projected again first), or fails with NotYetPublishedError like an append. For a writer about to acknowledge a
   * change it did not see published itself: a retry that finds the change already stored (its first attempt's
   * answer was lost, or said 503 because the broker was away), or a commit whose append reported an error after its
   * insert. Reads the log (on FerretDB a scan), so it belongs on those rare paths, not on every write.
   */
  async ensurePublished(topic: string, aggregateId: string): Promise<void> {
    const pending = await this.events.find({ topic, aggregateId, pending: true }).sort({ sequence: 1 }).lean();
    if (pending.length === 0) return;
    const waits = pending.map((doc) => {
      if (!this.unpublished.has(doc._id)) {
        // Possibly published meanwhile by the sweep or another instance: sending it again only makes a duplicate.
        this.unpublished.set(doc._id, doc);
        this.unprojected.add(doc._id);
      }
      return this.settledOrTimeout(doc._id, () => undefined);
    });
    this.kick();
    await Promise.all(waits);
  }

  private rememberSequence(key: string, sequence: number): void {
    if (this.lastSequence.size > 100_000) this.lastSequence.clear();
    if ((this.lastSequence.get(key) ?? 0) < sequence) this.lastSequence.set(key, sequence);
  }

  /** Kicks the relay and waits until the event is on Kafka (or fails with NotYetPublishedError). */
  private published(id: string): Promise<void> {
    return this.settledOrTimeout(id, () => this.kick());
  }

  /**
   * Registers a waiter under `id` with the next ticket, runs `start`, and resolves when the waiter is settled, or
   * fails with NotYetPublishedError after PUBLISH_WAIT_MS. A projection that already ran stays done either way.
   */
  private settledOrTimeout(id: string, start: () => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const waiters = this.awaitingPublication.get(id) ?? new Set<Waiter>();
      this.awaitingPublication.set(id, waiters);
      const forget = () => {
        waiters.delete(waiter);
        if (waiters.size === 0 && this.awaitingPublication.get(id) === waiters) this.awaitingPublication.delete(id);
      };
      const timer = setTimeout(() => {
        forget();
        reject(new NotYetPublishedError());
      }, PUBLISH_WAIT_MS);
      const waiter: Waiter = {
        ticket: ++this.tickets,
        settle: () => {
          clearTimeout(timer);
          forget();
          resolve();
        },
      };
      waiters.add(waiter);
      start();
    });
  }

  private settlePublished(ids: Iterable<string>): void {
    for (const id of ids) for (const waiter of [...(this.awaitingPublication.get(id) ?? [])]) waiter.settle();
  }

  /** All events of an aggregate, in order. */
  async history(topic: string, aggregateId: string): Promise<CloudEventV1[]> {
    const docs = await this.events.find({ topic, aggregateId }).sort({ sequence: 1 }).lean();
    if (docs.length > 0) this.rememberSequence(hintKey(topic, aggregateId), docs[docs.length - 1].sequence);
    return docs.map((d) => this.toCloudEvent(d));
  }

  /** Replace the payload of an aggregate's published events (erasure); the newest event stays as it is. */
  async redact(
    topic: string,
    aggregateId: string,
    belowSequence: number,
    data: Record<string, unknown>,
  ): Promise<void> {
    await this.events.updateMany(
      { topic, aggregateId, sequence: { $lt: belowSequence }, pending: { $exists: false } },
      { $set: { data } },
    );
  }

  /**
   * Erasure of an append-only log whose sequences must keep increasing: the caller first appends a marker
   * event, then deletes everything below it, published or not. The marker stays as the aggregate's floor.
   */
  async deleteBelow(topic: string, aggregateId: string, belowSequence: number): Promise<number> {
    const result = await this.events.deleteMany({ topic, aggregateId, sequence: { $lt: belowSequence } });
    return result.deletedCount;
  }

  async deleteAggregate(topic: string, aggregateId: string): Promise<number> {
    this.lastSequence.delete(hintKey(topic, aggregateId));
    const result = await this.events.deleteMany({ topic, aggregateId, pending: { $exists: false } });
    return result.deletedCount;
  }

  /** Events marked pending in the log (reads the log: on FerretDB every document of it). */
  async pendingCount(): Promise<number> {
    return this.events.countDocuments({ pending: true });
  }

  /**
   * Events this process knows are not on Kafka yet, without reading the log (the metric, on every scrape): its own
   * appends the relay has not sent, and what the last sweep found and could not send yet. It grows while Kafka is
   * unreachable; events another instance left pending count from the next sweep (every 10 s) on.
   */
  get unpublishedCount(): number {
    return this.unpublished.size + this.sweptUnpublished;
  }

  toCloudEvent(doc: OutboxEvent): CloudEventV1 {
    return cloudEvent({
      service: this.config.service.name,
      type: doc.type,
      subject: doc.aggregateId,
      sequence: doc.sequence,
      data: doc.data,
      id: doc._id,
      time: doc.time.toISOString(),
    });
  }

  /** Ask the relay to publish this process's appends now; coalesces with a run in progress. */
  kick(): void {
    if (!this.stopped) this.relayer.request();
  }

  /** Ask for a sweep of the log; coalesces with a sweep in progress. */
  private sweep(): void {
    if (!this.stopped) this.sweeper.request();
  }

  /**
   * Publish everything appended before this call (used before redactions and by tests). It waits for a relay pass
   * that began after the call to drain the outbox, not for the relay to go idle: under a steady stream of writes
   * the relay never does, and waiting for that held an erasure for as long as the load lasted.
   */
  async flush(): Promise<void> {
    if (this.stopped) return this.drain();
    const id = `flush:${randomUUID()}`;
    const appendedHere = [...this.unpublished.keys()];
    const started = Date.now();
    this.kick();
    while (appendedHere.some((e) => this.unpublished.has(e))) {
      if (Date.now() - started > PUBLISH_WAIT_MS) throw new NotYetPublishedError();
      await sleep(10);
    }
    await this.settledOrTimeout(id, () => this.sweep());
  }

  /** Publish everything pending, however long it takes (at shutdown, once nothing appends any more). */
  private async drain(): Promise<void> {
    await Promise.all([this.relayer.idle(), this.sweeper.idle()]);
    await this.relay();
    await this.sweepLog();
  }

  /** Publishes what this process appended, from memory, without reading the log. */
  private async relay(): Promise<void> {
    while (this.unpublished.size > 0) {
      const batch: OutboxEvent[] = [];
      for (const doc of this.unpublished.values()) {
        batch.push(doc);
        if (batch.length === RELAY_BATCH) break;
      }
      await this.publish(batch, false);
    }
  }

  /**
   * Publishes every event still marked pending in the log that the relay does not hold (a crash, another instance,
   * an insert whose answer was lost). A waiter registered before a sweep began is settled once that sweep finds
   * nothing more pending (its event may have been published by another instance's relay).
   */
  private async sweepLog(): Promise<void> {
    let full: boolean;
    do {
      const horizon = this.tickets;
      const found = await this.events.find({ pending: true }).sort({ time: 1 }).limit(RELAY_BATCH).lean();
      // Events this process appended are the relay's to publish, in their order.
      const batch = found.filter((doc) => !this.unpublished.has(doc._id));
      this.sweptUnpublished = batch.length;
      if (batch.length > 0) await this.publish(batch, true);
      this.sweptUnpublished = 0;
      full = found.length === RELAY_BATCH && batch.length > 0;
      if (!full) {
        // Nothing more pending: events of earlier waiters were published (here, or by another instance's relay),
        // except those the relay still holds, which it settles when it has sent them.
        for (const [id, waiters] of this.awaitingPublication) {
          if (this.unpublished.has(id)) continue;
          for (const waiter of [...waiters]) if (waiter.ticket <= horizon) waiter.settle();
        }
      }
    } while (full);
  }

  /**
   * Sends a batch to Kafka, then clears its pending flags; an error leaves it to be sent again (at-least-once).
   * `project`: run the topic's projector first — for events found by the sweep, whose append-time projection may not
   * have run (a crash, another instance); the relay's own events were projected when they were appended, except
   * those in `unprojected`.
   */
  private async publish(batch: OutboxEvent[], project: boolean): Promise<void> {
    // Within a batch, each aggregate's events go out in sequence order.
    const ordered = [...batch].sort((a, b) =>
      a.aggregateId === b.aggregateId ? a.sequence - b.sequence : a.aggregateId < b.aggregateId ? -1 : 1,
    );
    const byTopic = new Map<string, OutboxEvent[]>();
    for (const doc of ordered) byTopic.set(doc.topic, [...(byTopic.get(doc.topic) ?? []), doc]);
    for (const [topic, docs] of byTopic) {
      const projector = this.projectors.get(topic);
      const cloudEvents = docs.map((d) => this.toCloudEvent(d));
      for (const event of cloudEvents) {
        if (!project && !this.unprojected.has(event.id)) continue;
        await projector?.(event);
        this.unprojected.delete(event.id);
      }
      await this.kafka.producer.send({
        topic: this.kafka.topic(topic),
        acks: -1,
        messages: cloudEvents.map((e) => ({
          key: e.subject,
          value: JSON.stringify(e),
          headers: { 'content-type': 'application/cloudevents+json', 'ce-type': e.type },
        })),
      });
      for (const e of cloudEvents) {
        this.unpublished.delete(e.id);
        this.unprojected.delete(e.id);
      }
      this.settlePublished(cloudEvents.map((e) => e.id));
    }
    // One update per id rather than updateMany({_id: {$in}}): FerretDB serves an exact _id filter from its
    // index but scans the whole outbox for anything else, which made every relay pass as slow as the log is long.
    // Should this fail, the events stay marked pending and a later sweep publishes them again (duplicates only).
    // In commands of a few dozen: a relay pass after an outage marks hundreds, which deadlocked FerretDB in one.
    const publishedAt = new Date();
    await bulkWriteInChunks(
      this.events,
      batch.map((d) => ({
        updateOne: { filter: { _id: d._id }, update: { $unset: { pending: 1 }, $set: { publishedAt } } },
      })),
      { ordered: false },
    );
  }

  /** Runs before the database and Kafka connections close, so pending events are published first. */
  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    try {
      await this.drain();
    } catch (error) {
      this.logger.warn({ err: error }, 'outbox not fully flushed at shutdown; the next start publishes the rest');
    }
    this.stopped = true;
  }
}

interface Waiter {
  ticket: number;
  settle: () => void;
}

/** Runs `task` one at a time: a request while it runs makes it run once more afterwards. */
class Coalesced {
  private running?: Promise<void>;
  private again = false;

  constructor(
    private readonly task: () => Promise<void>,
    private readonly onError: (error: unknown) => void,
  ) {}

  request(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.task();
      } while (this.again);
    })()
      .catch(this.onError)
      .finally(() => (this.running = undefined));
  }

  /** Resolves once no run is in progress. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }
}

const hintKey = (topic: string, aggregateId: string) => `${topic}\u0000${aggregateId}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
