import { BeforeApplicationShutdown, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { Model } from 'mongoose';
import { cloudEvent, CloudEventV1 } from '@kielto/contracts';
import { ServiceConfig } from '../config/service-config';
import { ProblemException } from '../http/problem';
import { consumerHandlerContext } from '../kafka/consumer-context';
import { KafkaService } from '../kafka/kafka.service';
import { mapLimited } from '../import/import-batches';
import {
  bulkWriteInChunks,
  deleteByIds,
  FERRETDB_SAFE_BULK_WRITE,
  insertEach,
  isDuplicateKeyError,
} from '../mongo/bulk-write';
import { aggregateKey, EventHead, eventPosition, OutboxEvent, PendingEvent } from './outbox-event.schema';
import { byId, byIds } from '../mongo/by-id';
import { groupBy } from '../group-by';

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
/** A projector of many events of a topic at once (batch appends); it must do what the projector does for each. */
type BatchProjector = (events: CloudEventV1[]) => Promise<void>;

/** What became of one request of EventLog.appendMany. */
export type AppendOutcome<T> = { ok: true; event: CloudEventV1<T> } | { ok: false; error: unknown };

const isDuplicateKey = (e: unknown) => (e as { code?: number }).code === 11000;
const RELAY_BATCH = 500;
/** The relay retries what this process appended but could not publish yet (a broker outage) this often. */
const RELAY_INTERVAL_MS = 1000;
/**
 * And sweeps the pending markers this often: what a crash or another instance left behind. A sweep reads the whole
 * (small) collection of markers on FerretDB, so it is not done per append.
 */
const SWEEP_EVERY_TICKS = 10;
/** Events appended here and not yet published, held in memory; beyond this the sweep finds the rest. */
const MAX_UNPUBLISHED_HELD = 50_000;
/** How long an append waits for its event to reach Kafka before the request fails with a 503. */
const PUBLISH_WAIT_MS = 10_000;
/** And this much longer per event of a batch append (the relay sends a batch in rounds of RELAY_BATCH). */
const PUBLISH_WAIT_PER_EVENT_MS = 1;
/** Reads (and per-event projections) of a batch append in flight at once. */
const READ_CONCURRENCY = 32;
/** Sequences an append tries before giving up with ConcurrentModificationError (each lost to another writer). */
const MAX_APPEND_ATTEMPTS = 200;
/** Events read in parallel when reading an aggregate forward from its head (one round when the head is current). */
const READ_AHEAD = 4;
/** The head is written at every this many sequences: it lags by fewer than READ_AHEAD, so reads stay one round. */
const HEAD_EVERY = READ_AHEAD;
/**
 * A marker whose event is missing this long is an orphan (its writer lost the sequence or died between the two
 * inserts) and is dropped; a younger one may belong to an insert still under way.
 */
const ORPHAN_AFTER_MS = 60_000;
/** How far back a publication looks for predecessors another instance has not published yet. */
const MAX_PREDECESSORS = 100;
/** In-memory hints per aggregate are dropped when they reach this many (they are hints only). */
const MAX_HINTS = 100_000;
/** The log of earlier versions (random `_id`s, queried by fields), moved into event_log at start. */
const LEGACY_OUTBOX = 'outbox';
/** A document of event_heads saying the legacy log was moved (no topic starts with '#'). */
const LEGACY_MOVED = '#moved:outbox';
const MIGRATION_BATCH = 500;

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
  private readonly batchProjectors = new Map<string, BatchProjector>();
  /** Publishes this process's appends from memory. */
  private readonly relayer = new Coalesced(
    () => this.relay(),
    (error) => this.logger.warn({ err: error }, 'outbox relay failed; will retry'),
  );
  /** Reads the pending markers for events nobody is publishing. It runs beside the relay, never in its way. */
  private readonly sweeper = new Coalesced(
    () => this.sweepLog(),
    (error) => this.logger.warn({ err: error }, 'outbox sweep failed; will retry'),
  );
  private ticks = 0;
  private timer?: NodeJS.Timeout;
  /**
   * Appended (and projected) in this process and not yet on Kafka, by event id, in append order: the relay
   * publishes them without reading the log. Everything else the sweep finds is projected again before it is published.
   */
  private readonly unpublished = new Map<string, OutboxEvent>();
  /**
   * Held events whose projection has not run (it failed at append time, or the event was found in the log): the
   * relay runs the projector before publishing them, as the sweep does for what it finds.
   */
  private readonly unprojected = new Set<string>();
  /**
   * Events of a batch append under way (their markers are stored, the events may be): the append projects them and
   * hands them to the relay itself, so the sweep leaves them alone instead of publishing them a second time.
   */
  private readonly appending = new Set<string>();
  /**
   * Events this process has just published whose markers it is deleting: the sweep leaves them alone. (It took them
   * for another instance's, sent them again and ran their projector: on a bulk import, whose marker deletes take a
   * second per thousand events, most sweeps found hundreds of them, each costing a duplicate on Kafka and nine reads.)
   * A delete that fails leaves the marker for a later sweep, as before.
   */
  private readonly retiring = new Set<string>();
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
   * The last sequence this process saw per aggregate: a hint that spares the append its read of the log. A stale
   * hint (another instance appended since) only costs a duplicate-key retry with a real read; the unique `_id`
   * decides. Hints never run ahead: the newest event of an aggregate is never deleted. An aggregate seen empty has
   * the hint 0.
   */
  private readonly lastSequence = new Map<string, number>();
  /** The floor this process last saw per aggregate above 1 (an erasure's): where a hinted read starts. */
  private readonly floors = new Map<string, number>();
  /** Per aggregate, a sequence up to which every event is known to be on Kafka (this process published it). */
  private readonly publishedUpTo = new Map<string, number>();

  constructor(
    @InjectModel(OutboxEvent.name) private readonly events: Model<OutboxEvent>,
    @InjectModel(EventHead.name) private readonly heads: Model<EventHead>,
    @InjectModel(PendingEvent.name) private readonly markers: Model<PendingEvent>,
    private readonly kafka: KafkaService,
    private readonly config: ServiceConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.migrateLegacyOutbox();
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
  registerProjector(topic: string, projector: Projector, projectMany?: BatchProjector): void {
    this.projectors.set(topic, projector);
    if (projectMany) this.batchProjectors.set(topic, projectMany);
  }

  async append<T extends object>(request: AppendRequest<T>): Promise<CloudEventV1<T>> {
    const [outcome] = await this.appendMany([request]);
    if (!outcome.ok) throw outcome.error;
    return outcome.event;
  }

  /**
   * Appends many events at once: what `append` does for one (it is this with one request), with the writes of the
   * whole batch in a few commands and ONE wait for Kafka, for the bulk imports (issue 20). Requests of one aggregate
   * get consecutive sequences in their order: each round inserts the next request of every aggregate, so a request
   * that loses its sequence to another writer (duplicate key) is retried before the later ones of its aggregate.
   * Once a request fails, the later ones of its aggregate fail with the same error and are not appended (they would
   * land before it on a retry). Answers per request, in request order; never throws for one request's failure.
   */
  async appendMany<T extends object>(requests: readonly AppendRequest<T>[]): Promise<AppendOutcome<T>[]> {
    const outcomes = new Array<AppendOutcome<T>>(requests.length);
    const attempted: string[] = [];
    let appended: { doc: OutboxEvent; index: number }[] = [];
    try {
      appended = await this.insertInRounds(requests, outcomes, attempted);
      for (const { doc, index } of appended)
        outcomes[index] = { ok: true, event: this.toCloudEvent(doc) as CloudEventV1<T> };
      if (appended.length > 0) await this.projectAndHold(appended.map(({ doc }) => doc));
    } finally {
      for (const id of attempted) this.appending.delete(id);
    }
    if (appended.length === 0) return outcomes;
    if (consumerHandlerContext.getStore()) {
      // Appended by a consumer: its offsets are committed after the handler and the relay publishes the event
      // even after a crash, so there is no caller to hold until Kafka has it (and a long wait would stall the batch).
      this.kick();
      return outcomes;
    }
    // One wait for the whole batch, longer for a larger one (the relay sends RELAY_BATCH events per round).
    const waitMs = PUBLISH_WAIT_MS + appended.length * PUBLISH_WAIT_PER_EVENT_MS;
    const waiting = appended.map(({ doc }) => this.settledOrTimeout(doc.eventId, () => undefined, waitMs));
    this.kick();
    const waits = await Promise.allSettled(waiting);
    waits.forEach((wait, i) => {
      if (wait.status === 'rejected') outcomes[appended[i].index] = { ok: false, error: wait.reason };
    });
    return outcomes;
  }

  /**
   * The inserts of appendMany, in rounds (see there): answers the requests appended, with their event, and records
   * a failure in `outcomes` for each of the others. The ids of all events tried are pushed onto `attempted` (and
   * held in `appending` until the caller is done with them).
   */
  private async insertInRounds<T extends object>(
    requests: readonly AppendRequest<T>[],
    outcomes: AppendOutcome<T>[],
    attempted: string[],
  ): Promise<{ doc: OutboxEvent; index: number }[]> {
    const lanes = new Map<string, { queue: number[]; useHint: boolean; attempts: number }>();
    requests.forEach((request, index) => {
      const key = aggregateKey(request.topic, request.aggregateId);
      const lane = lanes.get(key) ?? { queue: [], useHint: true, attempts: 0 };
      lane.queue.push(index);
      lanes.set(key, lane);
    });
    const fail = (key: string, error: unknown) => {
      for (const index of lanes.get(key)?.queue ?? []) outcomes[index] = { ok: false, error };
      lanes.delete(key);
    };
    const appended: { doc: OutboxEvent; index: number }[] = [];
    while (lanes.size > 0) {
      const round = [...lanes].map(([key, lane]) => ({ key, lane, index: lane.queue[0] }));
      const lasts = await mapLimited(round, READ_CONCURRENCY, async ({ key, lane, index }) => {
        const request = requests[index];
        const hint = lane.useHint ? (this.lastSequence.get(key) ?? (request.newAggregate ? 0 : undefined)) : undefined;
        if (hint !== undefined) return { last: hint, hinted: true };
        try {
          return { last: await this.newestSequence(request.topic, request.aggregateId), hinted: false };
        } catch (error) {
          return { error };
        }
      });
      const attempt: { key: string; lane: (typeof round)[number]['lane']; index: number; doc: OutboxEvent }[] = [];
      round.forEach(({ key, lane, index }, i) => {
        const found = lasts[i];
        if ('error' in found) return fail(key, found.error);
        const request = requests[index];
        const sequence = found.last + 1;
        if (request.expectedSequence !== undefined && sequence !== request.expectedSequence) {
          if (found.hinted)
            lane.useHint = false; // the hint may be behind the log: read it before deciding
          else fail(key, new ConcurrentModificationError());
          return;
        }
        const data = typeof request.data === 'function' ? (request.data as (s: number) => T)(sequence) : request.data;
        const doc: OutboxEvent = {
          _id: eventPosition(request.topic, request.aggregateId, sequence),
          eventId: randomUUID(),
          topic: request.topic,
          aggregateId: request.aggregateId,
          sequence,
          type: request.type,
          time: request.time ?? new Date(),
          data: data as Record<string, unknown>,
        };
        attempt.push({ key, lane, index, doc });
      });
      // The markers first: an event in the log is then always findable by the sweep, whatever happens next.
      for (const { doc } of attempt) {
        this.appending.add(doc.eventId);
        attempted.push(doc.eventId);
      }
      const at = new Date();
      const markerErrors = await insertEach(
        this.markers,
        attempt.map(({ doc }) => ({ _id: doc.eventId, position: doc._id, at })),
      );
      const marked = attempt.filter(({ key }, i) => markerErrors[i] === undefined || void fail(key, markerErrors[i]));
      const eventErrors = await insertEach(
        this.events,
        marked.map(({ doc }) => doc),
      );
      const lost: string[] = [];
      let retry = false;
      marked.forEach(({ key, lane, index, doc }, i) => {
        const error = eventErrors[i];
        if (error === undefined) {
          this.rememberSequence(key, doc.sequence);
          appended.push({ doc, index });
          lane.queue.shift();
          if (lane.queue.length === 0) lanes.delete(key);
          return;
        }
        if (!isDuplicateKeyError(error)) {
          // The insert may have landed although its answer was lost (the database restarted): sweep for it.
          this.appending.delete(doc.eventId);
          this.sweep();
          return fail(key, error);
        }
        // Someone else (here or in another instance) took this sequence; the marker names nothing.
        lost.push(doc.eventId);
        this.lastSequence.delete(key);
        lane.useHint = false;
        if (requests[index].expectedSequence !== undefined || ++lane.attempts >= MAX_APPEND_ATTEMPTS)
          return fail(key, new ConcurrentModificationError());
        retry = true;
      });
      // Else the sweep drops them as orphans.
      await bulkWriteInChunks(
        this.markers,
        lost.map((id) => ({ deleteOne: { filter: { _id: id } } })),
        { ordered: false },
      ).catch(() => undefined);
      // Read again and take the next one.
      if (retry) await sleep(Math.random() * Math.min(50, 2 + Math.max(...round.map((r) => r.lane.attempts)) * 2));
    }
    return appended;
  }

  /**
   * Freshly appended events: projected, their heads advanced, and handed to the relay.
   */
  private async projectAndHold(appended: OutboxEvent[]): Promise<void> {
    // From here on the events are committed: whatever fails, they must reach Kafka, and the request may answer 2xx
    // only once they have. A projection that fails (the database went away after the insert) is therefore not the
    // request's failure but the relay's to repeat before it publishes; the request waits for that as for any
    // publication. (Throwing here left the event to the sweep, up to 10 s later, while the caller, finding it
    // committed, acknowledged it: issue 20.)
    const [unprojected] = await Promise.all([
      this.projectAll(appended),
      mapLimited(
        appended.filter((doc) => doc.sequence % HEAD_EVERY === 0),
        READ_CONCURRENCY,
        (doc) => this.advanceHead(aggregateKey(doc.topic, doc.aggregateId), { sequence: doc.sequence }),
      ),
    ]);
    for (const doc of appended) {
      if (this.unpublished.size < MAX_UNPUBLISHED_HELD) {
        this.unpublished.set(doc.eventId, doc);
        if (unprojected.has(doc.eventId)) this.unprojected.add(doc.eventId);
      } else this.sweep();
    }
  }

  /**
   * Runs the projectors of freshly appended events: a topic's batch projector once for all of its events, else its
   * projector per event (an aggregate's in sequence order, aggregates side by side). Answers the ids of the events
   * whose projection failed (logged), which the relay projects again before publishing them.
   */
  private async projectAll(docs: readonly OutboxEvent[]): Promise<Set<string>> {
    const failed = new Set<string>();
    for (const [topic, ofTopic] of groupBy(docs, (doc) => doc.topic)) {
      const many = this.batchProjectors.get(topic);
      if (many) {
        try {
          await many(ofTopic.map((doc) => this.toCloudEvent(doc)));
        } catch (error) {
          this.logger.warn(
            { err: error, topic, events: ofTopic.length },
            'projection after append failed; the relay projects the events again before publishing them',
          );
          for (const doc of ofTopic) failed.add(doc.eventId);
        }
        continue;
      }
      const byAggregate = groupBy(ofTopic, (doc) => doc.aggregateId);
      await mapLimited([...byAggregate.values()], READ_CONCURRENCY, async (ofAggregate) => {
        for (const doc of ofAggregate)
          if (!(await this.project(topic, this.toCloudEvent(doc)))) failed.add(doc.eventId);
      });
    }
    return failed;
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
   * insert. Reads the aggregate and its markers by `_id`, two rounds; it belongs on those rare paths.
   */
  async ensurePublished(topic: string, aggregateId: string): Promise<void> {
    const docs = await this.read(topic, aggregateId);
    const pendingFlags = await Promise.all(docs.map((doc) => this.isPending(doc.eventId)));
    const pending = docs.filter((_, i) => pendingFlags[i]);
    if (pending.length === 0) return;
    const waits = pending.map((doc) => {
      if (!this.unpublished.has(doc.eventId)) {
        // Possibly published meanwhile by the sweep or another instance: sending it again only makes a duplicate.
        this.unpublished.set(doc.eventId, doc);
        this.unprojected.add(doc.eventId);
      }
      return this.settledOrTimeout(doc.eventId, () => undefined);
    });
    this.kick();
    await Promise.all(waits);
  }

  private rememberSequence(key: string, sequence: number): void {
    remember(this.lastSequence, key, sequence);
  }

  /**
   * Registers a waiter under `id` with the next ticket, runs `start`, and resolves when the waiter is settled, or
   * fails with NotYetPublishedError after PUBLISH_WAIT_MS. A projection that already ran stays done either way.
   */
  private settledOrTimeout(id: string, start: () => void, waitMs = PUBLISH_WAIT_MS): Promise<void> {
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
      }, waitMs);
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

  /** All events of an aggregate, in order: its head, then every event by `_id` (see `readMany`). */
  async history(topic: string, aggregateId: string): Promise<CloudEventV1[]> {
    return (await this.read(topic, aggregateId)).map((d) => this.toCloudEvent(d));
  }

  /** The histories of several aggregates of a topic (a subject's ledger spans several), read together. */
  async histories(topic: string, aggregateIds: readonly string[]): Promise<CloudEventV1[][]> {
    return (await this.readMany(topic, aggregateIds)).map((docs) => docs.map((d) => this.toCloudEvent(d)));
  }

  /**
   * The aggregate's newest sequence (0 when it has none): its head and the events h and h+1 at once, where h is this
   * process's hint (see `lastSequence`; 0 without one) — when the hint is current, one round of two or three reads
   * (issue 20: every command costs the process about as much CPU as a request's own work) — then on by `_id` from
   * whatever that round found.
   */
  async newestSequence(topic: string, aggregateId: string): Promise<number> {
    const key = aggregateKey(topic, aggregateId);
    const hint = this.lastSequence.get(key) ?? 0;
    const [{ known }, read] = await Promise.all([
      this.head(topic, aggregateId),
      this.readSequences(topic, aggregateId, Math.max(hint, 1), hint + 1),
    ]);
    const at = hint > 0 ? read[0] : null;
    const next = read[read.length - 1];
    // Sequences are contiguous: h present (or 0) and h+1 absent make h the newest, unless the head knows of more (an
    // erasure's floor above them).
    const from = next ? Math.max(hint + 1, known) : (hint === 0 || at) && known <= hint ? undefined : known;
    const newest = from === undefined ? hint : from + (await this.readForward(topic, aggregateId, from)).length;
    this.rememberSequence(key, newest);
    return newest;
  }

  /** Replace the payload of an aggregate's published events below a sequence (erasure, superseded data). */
  async redact(
    topic: string,
    aggregateId: string,
    belowSequence: number,
    data: Record<string, unknown>,
  ): Promise<void> {
    const stale = (await this.read(topic, aggregateId)).filter(
      (doc) => doc.sequence < belowSequence && !isDeepStrictEqual(doc.data, data),
    );
    // An event still pending keeps its payload until it is published; the next redaction reaches it.
    const pendingFlags = await Promise.all(stale.map((doc) => this.isPending(doc.eventId)));
    await bulkWriteInChunks(
      this.events,
      stale
        .filter((_, i) => !pendingFlags[i])
        .map((doc) => ({ updateOne: { filter: { _id: doc._id }, update: { $set: { data } } } })),
      { ordered: false },
    );
  }

  /**
   * Erasure of an append-only log whose sequences must keep increasing: the caller first appends a marker
   * event, then deletes everything below it, published or not. The marker stays as the aggregate's floor.
   */
  async deleteBelow(topic: string, aggregateId: string, belowSequence: number): Promise<number> {
    const { floor } = await this.head(topic, aggregateId);
    let deleted = 0;
    for (let from = floor; from < belowSequence; from += FERRETDB_SAFE_BULK_WRITE) {
      const results = await Promise.all(
        range(from, Math.min(belowSequence, from + FERRETDB_SAFE_BULK_WRITE)).map((sequence) =>
          this.events.deleteOne({ _id: eventPosition(topic, aggregateId, sequence) }),
        ),
      );
      deleted += results.reduce((sum, r) => sum + r.deletedCount, 0);
    }
    // After the deletion: readers never skip an event that still exists (the floor is a lower bound).
    await this.advanceHead(aggregateKey(topic, aggregateId), { floor: belowSequence, sequence: belowSequence });
    return deleted;
  }

  /** Events stored and not yet on Kafka (reads the pending markers: as many as the backlog, not the log). */
  async pendingCount(): Promise<number> {
    return this.markers.countDocuments({});
  }

  /**
   * Events this process knows are not on Kafka yet, without reading the database (the metric, on every scrape): its
   * own appends the relay has not sent, and what the last sweep found and could not send yet. It grows while Kafka is
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
      id: doc.eventId,
      time: doc.time.toISOString(),
    });
  }

  /** Ask the relay to publish this process's appends now; coalesces with a run in progress. */
  kick(): void {
    if (!this.stopped) this.relayer.request();
  }

  /** Ask for a sweep of the pending markers; coalesces with a sweep in progress. */
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
   * Publishes every event whose marker says it is pending and that the relay does not hold (a crash, another
   * instance, an insert whose answer was lost), and drops orphaned markers. A waiter registered before a sweep began
   * is settled once that sweep finds nothing more pending (another instance's relay may have published its event).
   */
  private async sweepLog(): Promise<void> {
    const horizon = this.tickets;
    // Each page starts after the last marker of the one before (markers are ordered by when they were made, and never
    // change), so the sweep visits every marker that existed when it began, also behind markers it leaves in place
    // (the relay's, those of a batch still being appended, inserts under way) and while the relay deletes others.
    let after: { at: Date; _id: string } | undefined;
    let full: boolean;
    do {
      const found = await this.markers
        .find(after ? { $or: [{ at: { $gt: after.at } }, { at: after.at, _id: { $gt: after._id } }] } : {})
        .sort({ at: 1, _id: 1 })
        .limit(RELAY_BATCH)
        .lean<PendingEvent[]>();
      // Events this process appended (or is appending) are the relay's to publish, in their order.
      const candidates = found.filter(
        (marker) =>
          !this.unpublished.has(marker._id) && !this.appending.has(marker._id) && !this.retiring.has(marker._id),
      );
      const docs = await this.readEvents(candidates.map((marker) => marker.position));
      const batch: OutboxEvent[] = [];
      const orphans: string[] = [];
      candidates.forEach((marker, i) => {
        const doc = docs[i];
        if (doc?.eventId === marker._id) batch.push(doc);
        // Another event holds the position (this one lost the race), or none came: the writer stopped in between.
        else if (doc || Date.now() - new Date(marker.at).getTime() > ORPHAN_AFTER_MS) orphans.push(marker._id);
        // Else the event's insert may still be under way.
      });
      await deleteByIds(this.markers, orphans);
      this.sweptUnpublished = batch.length;
      if (batch.length > 0) await this.publish(batch, true);
      this.sweptUnpublished = 0;
      const last = found.at(-1);
      if (last) after = { at: last.at, _id: last._id };
      full = found.length === RELAY_BATCH;
    } while (full);
    // Nothing more pending: events of waiters registered before the sweep began were published (here, or by another
    // instance's relay), except those the relay still holds, which it settles when it has sent them.
    for (const [id, waiters] of this.awaitingPublication) {
      if (this.unpublished.has(id)) continue;
      for (const waiter of [...waiters]) if (waiter.ticket <= horizon) waiter.settle();
    }
  }

  /**
   * Sends a batch to Kafka, then deletes its pending markers; an error leaves it to be sent again (at-least-once).
   * `project`: run the topic's projector first — for events found by the sweep, whose append-time projection may not
   * have run (a crash, another instance); the relay's own events were projected when they were appended, except
   * those in `unprojected`. Events of another instance that precede one of the batch and are still pending go first
   * (see pendingPredecessors), so each aggregate's events reach Kafka in sequence order whichever instance wrote them.
   */
  private async publish(batch: OutboxEvent[], project: boolean): Promise<void> {
    const predecessors = await this.pendingPredecessors(batch);
    const all = [...predecessors, ...batch];
    const projectAlso = new Set(predecessors.map((d) => d.eventId));
    // Within a batch, each aggregate's events go out in sequence order.
    const ordered = all.sort((a, b) =>
      a.aggregateId === b.aggregateId ? a.sequence - b.sequence : a.aggregateId < b.aggregateId ? -1 : 1,
    );
    try {
      for (const [topic, docs] of groupBy(ordered, (doc) => doc.topic)) {
        const projector = this.projectors.get(topic);
        for (const doc of docs) {
          if (!project && !this.unprojected.has(doc.eventId) && !projectAlso.has(doc.eventId)) continue;
          await projector?.(this.toCloudEvent(doc));
          this.unprojected.delete(doc.eventId);
        }
        const cloudEvents = docs.map((d) => this.toCloudEvent(d));
        await this.kafka.producer.send({
          topic: this.kafka.topic(topic),
          acks: -1,
          messages: cloudEvents.map((e) => ({
            key: e.subject,
            value: JSON.stringify(e),
            headers: { 'content-type': 'application/cloudevents+json', 'ce-type': e.type },
          })),
        });
        for (const doc of docs) {
          this.unpublished.delete(doc.eventId);
          this.retiring.add(doc.eventId);
          this.unprojected.delete(doc.eventId);
          remember(this.publishedUpTo, aggregateKey(doc.topic, doc.aggregateId), doc.sequence);
        }
        this.settlePublished(docs.map((d) => d.eventId));
      }
      // By `_id: {$in}` (one write transaction per few hundred markers on FerretDB, where one statement per id cost
      // about 1 ms each). Should this fail, the markers stay and a later sweep publishes the events again (duplicates
      // only).
      await deleteByIds(
        this.markers,
        all.map((d) => d.eventId),
      );
    } finally {
      for (const doc of all) this.retiring.delete(doc.eventId);
    }
  }

  /**
   * Events that precede one of the batch in its aggregate and are not on Kafka yet: appended by another instance
   * (or a crashed run) whose relay has not sent them. Two instances appending to one aggregate would otherwise send
   * sequence n+1 before n. Each is read by `_id`, and only while this process does not know its predecessors to be
   * published; a duplicate on Kafka (the other instance sends it too) is harmless, a reordering is not.
   */
  private async pendingPredecessors(batch: OutboxEvent[]): Promise<OutboxEvent[]> {
    const inBatch = new Set(batch.map((d) => d._id));
    const walks = await Promise.all(
      batch.map(async (doc) => {
        const found: OutboxEvent[] = [];
        const key = aggregateKey(doc.topic, doc.aggregateId);
        for (let sequence = doc.sequence - 1; sequence > doc.sequence - 1 - MAX_PREDECESSORS; sequence--) {
          const position = eventPosition(doc.topic, doc.aggregateId, sequence);
          if (sequence < 1 || (this.publishedUpTo.get(key) ?? 0) >= sequence || inBatch.has(position)) break;
          const previous = await this.readEvent(position);
          if (!previous || !(await this.isPending(previous.eventId))) break;
          found.push(previous);
        }
        return found;
      }),
    );
    const unique = new Map<string, OutboxEvent>();
    for (const doc of walks.flat()) unique.set(doc._id, doc);
    return [...unique.values()];
  }

  // ---- storage by _id ----

  private async readEvent(position: string): Promise<OutboxEvent | null> {
    return byId<OutboxEvent>(this.events, position);
  }

  /** The events at these positions (null where there is none), in one read: see byIds. */
  private async readEvents(positions: readonly string[]): Promise<(OutboxEvent | null)[]> {
    const found = await byIds<OutboxEvent & { _id: string }>(this.events, positions);
    return positions.map((position) => found.get(position) ?? null);
  }

  /** The aggregate's events from..to (inclusive), null where there is none. */
  private readSequences(topic: string, aggregateId: string, from: number, to: number): Promise<(OutboxEvent | null)[]> {
    return this.readEvents(range(from, to + 1).map((sequence) => eventPosition(topic, aggregateId, sequence)));
  }

  private async isPending(eventId: string): Promise<boolean> {
    return (await byId(this.markers, eventId, { _id: 1 })) !== null;
  }

  /** The aggregate's floor and a sequence it is known to have reached (0: none known). */
  private async head(topic: string, aggregateId: string): Promise<{ floor: number; known: number }> {
    return headState(await byId<EventHead>(this.heads, aggregateKey(topic, aggregateId)));
  }

  /** The events after `after`, read forward READ_AHEAD at a time until one is missing (sequences are contiguous). */
  private async readForward(topic: string, aggregateId: string, after: number): Promise<OutboxEvent[]> {
    const found: OutboxEvent[] = [];
    for (;;) {
      const next = after + found.length + 1;
      const docs = await this.readSequences(topic, aggregateId, next, next + READ_AHEAD - 1);
      for (const doc of docs) {
        if (!doc) return found;
        found.push(doc);
      }
    }
  }

  /**
   * Every event of each aggregate, in order: the heads and the events from the floor this process last saw up to h+1
   * of every aggregate at once (two reads for all of them: `_id: {$in}`), where h is this process's hint (0 without
   * one) — one round when the hints are current — then, per aggregate, whatever its head or h+1 show to be beyond.
   */
  private async read(topic: string, aggregateId: string): Promise<OutboxEvent[]> {
    const [docs] = await this.readMany(topic, [aggregateId]);
    return docs;
  }

  private async readMany(topic: string, aggregateIds: readonly string[]): Promise<OutboxEvent[][]> {
    const plans = aggregateIds.map((aggregateId) => {
      const key = aggregateKey(topic, aggregateId);
      const hint = this.lastSequence.get(key) ?? 0;
      return { aggregateId, key, hint, from: this.floors.get(key) ?? 1 };
    });
    const firstPositions = (p: (typeof plans)[number]) =>
      range(p.from, p.hint + 2).map((sequence) => eventPosition(topic, p.aggregateId, sequence));
    const [heads, early] = await Promise.all([
      byIds<EventHead & { _id: string }>(
        this.heads,
        plans.map((p) => p.key),
      ),
      byIds<OutboxEvent & { _id: string }>(this.events, plans.flatMap(firstPositions)),
    ]);
    return Promise.all(
      plans.map(async (plan) => {
        const { aggregateId, key, hint } = plan;
        const { floor, known } = headState(heads.get(key));
        const first = firstPositions(plan).map((position) => early.get(position) ?? null);
        const upTo = Math.max(known, hint + 1);
        const [middle, after] =
          first[first.length - 1] !== null || known > hint
            ? await Promise.all([
                this.readSequences(topic, aggregateId, hint + 2, upTo),
                this.readForward(topic, aggregateId, upTo),
              ])
            : [[], []];
        // A missing one at or above the floor was erased after the head was read; one below the floor is being erased.
        const docs = [...first, ...middle, ...after].filter(
          (doc): doc is OutboxEvent => doc !== null && doc.sequence >= floor,
        );
        if (floor > 1) remember(this.floors, key, floor);
        this.rememberSequence(key, Math.max(docs[docs.length - 1]?.sequence ?? 0, floor - 1));
        return docs;
      }),
    );
  }

  /**
   * Raises the head's fields to at least the given values. A hint: concurrent writers on FerretDB (whose updates are
   * not atomic) may leave the lower of two values, which costs a reader a few more reads, never a wrong answer.
   */
  private async advanceHead(key: string, to: { sequence?: number; floor?: number }): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.heads.updateOne({ _id: key }, { $max: to }, { upsert: true });
        return;
      } catch (error) {
        // Two upserts of a new head raced; the second finds it now.
        if (isDuplicateKey(error) && attempt === 0) continue;
        if (to.floor !== undefined) throw error; // a floor must be recorded (else readers read erased positions)
        this.logger.warn({ err: error }, 'event head not advanced; readers read forward a little further');
        return;
      }
    }
  }

  /**
   * Moves a log stored by an earlier version (collection `outbox`: random `_id`s, a `pending` flag) into event_log,
   * with heads and pending markers, then drops it, so every store keeps working after the upgrade. Idempotent and
   * safe to repeat after a crash (a moved event is inserted again as a duplicate, ignored); two instances starting
   * at once both move everything, to the same result. Old-version instances must be stopped before the upgrade:
   * what they append to `outbox` after the move is not seen. Runs once per database (a marker head records it).
   */
  private async migrateLegacyOutbox(): Promise<void> {
    if (await byId(this.heads, LEGACY_MOVED, { _id: 1 })) return;
    const legacy = this.events.db.collection<LegacyOutboxEvent>(LEGACY_OUTBOX);
    const bounds = new Map<string, { min: number; max: number }>();
    let moved = 0;
    let batch: LegacyOutboxEvent[] = [];
    const move = async () => {
      await ignoringDuplicates(
        this.events.insertMany(
          batch.map((old) => ({
            _id: eventPosition(old.topic, old.aggregateId, old.sequence),
            eventId: old._id,
            topic: old.topic,
            aggregateId: old.aggregateId,
            sequence: old.sequence,
            type: old.type,
            time: old.time,
            data: old.data,
          })),
          { ordered: false },
        ),
      );
      const pending = batch.filter((old) => old.pending === true);
      if (pending.length > 0) {
        await ignoringDuplicates(
          this.markers.insertMany(
            pending.map((old) => ({
              _id: old._id,
              position: eventPosition(old.topic, old.aggregateId, old.sequence),
              at: old.time,
            })),
            { ordered: false },
          ),
        );
      }
      for (const old of batch) {
        const key = aggregateKey(old.topic, old.aggregateId);
        const held = bounds.get(key);
        bounds.set(key, {
          min: Math.min(held?.min ?? Infinity, old.sequence),
          max: Math.max(held?.max ?? 0, old.sequence),
        });
      }
      moved += batch.length;
      batch = [];
    };
    for await (const old of legacy.find({}, { batchSize: MIGRATION_BATCH })) {
      batch.push(old);
      if (batch.length === MIGRATION_BATCH) await move();
    }
    if (batch.length > 0) await move();
    const headOps = [...bounds].map(([key, { min, max }]) => ({
      updateOne: { filter: { _id: key }, update: { $max: { sequence: max }, $min: { floor: min } }, upsert: true },
    }));
    try {
      await bulkWriteInChunks(this.heads, headOps, { ordered: false });
    } catch (error) {
      // Upserts of two instances moving at once may collide on a new head; the second pass finds it.
      if (!isDuplicateKeyOnly(error)) throw error;
      await bulkWriteInChunks(this.heads, headOps, { ordered: false });
    }
    await ignoringDuplicates(this.heads.create({ _id: LEGACY_MOVED }));
    if (moved > 0)
      this.logger.log({ events: moved, aggregates: bounds.size }, 'moved the event log of an earlier version');
    await legacy.drop().catch(() => undefined); // absent on a new store
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

/** An event as versions before the keyed log stored it (collection `outbox`). */
interface LegacyOutboxEvent {
  _id: string;
  topic: string;
  aggregateId: string;
  sequence: number;
  type: string;
  time: Date;
  data: Record<string, unknown>;
  pending?: boolean;
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

/** Raises a per-aggregate hint (bounded: hints are dropped wholesale when there are too many). */
function remember(hints: Map<string, number>, key: string, sequence: number): void {
  if (hints.size > MAX_HINTS) hints.clear();
  const held = hints.get(key);
  if (held === undefined || held < sequence) hints.set(key, sequence);
}

/** An aggregate's floor and a sequence it is known to have reached (0: none known), from its head document. */
function headState(head: EventHead | null | undefined): { floor: number; known: number } {
  const floor = head?.floor ?? 1;
  return { floor, known: Math.max(head?.sequence ?? 0, floor - 1) };
}

const range = (from: number, to: number): number[] =>
  Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);

/** A write error of a bulk insert or write: duplicates only (what was inserted before). */
function isDuplicateKeyOnly(error: unknown): boolean {
  const writeErrors = (error as { writeErrors?: { code?: number; err?: { code?: number } }[] }).writeErrors;
  if (!writeErrors || writeErrors.length === 0) return isDuplicateKey(error);
  return writeErrors.every((w) => (w.code ?? w.err?.code) === 11000);
}

async function ignoringDuplicates(write: Promise<unknown>): Promise<void> {
  try {
    await write;
  } catch (error) {
    if (!isDuplicateKeyOnly(error)) throw error;
  }
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
