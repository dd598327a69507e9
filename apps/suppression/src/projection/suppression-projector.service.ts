import { BeforeApplicationShutdown, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { KieltoEvent } from '@kielto/contracts';
import { collectGarbageOnce, ConsumerProgress } from '@kielto/platform';
import { PartnerFeedService, PendingFeed } from '../feed/partner-feed.service';
import { SuppressionEnv } from '../suppression.env';
import { AffectedIdentifiers, applyEvent, encodeState, IdentifierKind, SuppressionState } from '../engine';
import { SnapshotRepository } from '../state/snapshot.repository';

/** How often pending feed values and due snapshots are looked at. */
const TIMER_MS = 1_000;
/** Identifiers whose feed may wait while the consumer catches up (and twice as many while a publish is on its way). */
const FEED_COALESCE_MAX = 20_000;

/**
 * The identifiers a batch touches. Every event adds its identifiers before it changes the state, so the first
 * time an identifier is touched since the last publish, its value then is the one the partner feed holds.
 */
class Touched extends Map<string, IdentifierKind> {
  constructor(
    private readonly pending: PendingFeed,
    private readonly current: (kind: IdentifierKind, hash: string) => string | null,
  ) {
    super();
  }

  override set(hash: string, kind: IdentifierKind): this {
    if (!this.pending.has(hash)) this.pending.set(hash, { kind, before: this.current(kind, hash) });
    return super.set(hash, kind);
  }
}

/**
 * Turns events into the suppression state: applies them to the in-memory index (idempotently: an event already
 * held changes nothing), which checks answer from at once, and publishes the partner feed for every identifier whose
 * answers may have changed. The feed goes out beside the consumption, not in its way: a batch waited for its produce
 * round trip, and every event fetched after it with it (opt-out propagation, issue 20). Publishes run one at a time,
 * each sending what was touched before it started; one that fails leaves its identifiers pending for the next.
 *
 * Persistence is a snapshot of the whole index with the topic positions it includes (SnapshotRepository),
 * written every SUPPRESSION_SNAPSHOT_EVENTS events once caught up, every SUPPRESSION_SNAPSHOT_INTERVAL_MS if
 * anything changed, and on shutdown. At start the latest snapshot is loaded and the consumer resumes at its
 * positions, so a crash at any point re-applies events the state may already hold, which changes nothing.
 * The topics are the source of truth; the snapshot only saves re-reading them.
 *
 * Batches and snapshots run one at a time (the Kafka consumer and the local staff-entry path share a queue), so a
 * snapshot is a state between two batches; feed publishes run one at a time, each computing its values when it
 * starts, so a value computed from a newer state is never overtaken by one computed from an older state.
 */
@Injectable()
export class SuppressionProjector implements OnModuleInit, BeforeApplicationShutdown, OnModuleDestroy {
  private readonly logger = new Logger(SuppressionProjector.name);
  private loaded = false;
  private tail: Promise<unknown> = Promise.resolve();
  private timer?: NodeJS.Timeout;
  private writing?: Promise<void>;
  private lastSnapshotAt = Date.now();
  /** Events applied since the last snapshot was encoded. */
  private unsaved = 0;
  /** Identifiers whose feed value may have changed and is not published yet. */
  private feedPending: PendingFeed = new Map();
  /** The last feed publish started or queued (they run one after the other). */
  private publishing?: Promise<void>;
  /** A publish waits behind the one under way: it will take whatever is pending when it starts. */
  private publishQueued = false;
  eventsProjected = 0;

  constructor(
    readonly state: SuppressionState,
    private readonly snapshots: SnapshotRepository,
    private readonly feed: PartnerFeedService,
    private readonly progress: ConsumerProgress,
    private readonly env: SuppressionEnv,
  ) {}

  async onModuleInit(): Promise<void> {
    const started = Date.now();
    const loaded = await this.snapshots.load(this.state);
    for (const p of loaded.positions) {
      if (BigInt(p.next) > 0n) this.progress.markProcessed(p.topic, p.partition, (BigInt(p.next) - 1n).toString());
    }
    if (this.state.identifierCount > 10_000) collectGarbageOnce();
    this.loaded = true;
    this.logger.log(
      {
        snapshot: loaded.number,
        facts: loaded.facts,
        identifiers: this.state.identifierCount,
        ms: Date.now() - started,
      },
      'suppression state loaded',
    );
    this.timer = setInterval(() => this.onTimer(), TIMER_MS);
    this.timer.unref();
  }

  /** The last batches are in (the consumer stopped before the shutdown hooks run): save them. */
  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    if (!this.loaded) return;
    await this.writing;
    await this.publishing?.catch(() => undefined);
    if (this.unsaved > 0)
      await this.snapshot().catch((error: unknown) => this.logger.error({ err: error }, 'final snapshot failed'));
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  get isLoaded(): boolean {
    return this.loaded;
  }

  /** Applies a batch of events from one topic-partition, in order. Returns the affected identifiers. */
  project(events: KieltoEvent[]): Promise<AffectedIdentifiers> {
    return this.enqueue(() => this.projectNow(events));
  }

  private async projectNow(events: KieltoEvent[]): Promise<AffectedIdentifiers> {
    const started = Date.now();
    const affected = new Touched(this.feedPending, (kind, hash) => this.feed.current(kind, hash));
    for (const event of events) {
      if (!applyEvent(this.state, event, affected)) {
        this.logger.error({ type: (event as { type: string }).type }, 'event type without a projection');
      }
    }
    this.eventsProjected += events.length;
    this.unsaved += events.length;
    const applied = Date.now();
    if (this.feedPending.size >= 2 * FEED_COALESCE_MAX) {
      // The publishes do not keep up (the broker slow or away): the batch waits, which bounds what is held.
      await this.flushFeed();
    } else if (this.feedPending.size >= FEED_COALESCE_MAX || this.progress.lag() <= events.length) {
      // Published beside the next batches. Catching up (more than this batch is waiting), identifiers touched by
      // many batches are published once, when pending reaches the bound or the consumer has caught up.
      this.publishBeside();
    }
    this.logger.debug(
      { events: events.length, identifiers: affected.size, applyMs: applied - started, feedMs: Date.now() - applied },
      'batch projected',
    );
    this.snapshotIfDue();
    return affected;
  }

  /**
   * Publishes the feed of every identifier touched until now, after the publish under way if any; resolves once it is
   * on Kafka. Whatever a failed publish held stays pending (the next publish, or the timer's, includes it). A
   * snapshot flushes (in the queue, so nothing is touched meanwhile) before it takes its positions, so a position is
   * never saved while the feed of an event before it is unsent; after a crash, the events past the snapshot are
   * applied again and their identifiers published.
   */
  private flushFeed(): Promise<void> {
    // A publish already waiting will take everything pending now when it starts.
    if (this.publishQueued && this.publishing) return this.publishing;
    const previous = this.publishing;
    const run = (async () => {
      if (previous) await previous.catch(() => undefined);
      this.publishQueued = false;
      await this.publishPending();
    })();
    if (previous) this.publishQueued = true;
    this.publishing = run;
    const settled = () => {
      if (this.publishing === run) this.publishing = undefined;
    };
    run.then(settled, settled);
    return run;
  }

  private async publishPending(): Promise<void> {
    if (this.feedPending.size === 0) return;
    const pending = this.feedPending;
    this.feedPending = new Map();
    try {
      await this.feed.publish(pending);
    } catch (error) {
      // Still pending, with the value the topic holds (the first touch since then noted the unpublished one).
      for (const [hash, change] of pending) this.feedPending.set(hash, change);
      throw error;
    }
  }

  /** Runs in the queue, between batches. */
  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.tail.then(task);
    this.tail = run.catch(() => undefined);
    return run;
  }

  private publishBeside(): void {
    this.flushFeed().catch((error: unknown) =>
      this.logger.warn({ err: error }, 'partner feed not published; will try again'),
    );
  }

  private onTimer(): void {
    // What a failed publish left, or what a catch-up was still coalescing.
    if (this.feedPending.size > 0 && !this.publishing) this.publishBeside();
    this.snapshotIfDue();
  }

  private snapshotIfDue(): void {
    if (this.writing || this.unsaved === 0 || !this.loaded) return;
    const caughtUp = this.progress.lag() === 0;
    const due =
      (this.unsaved >= this.env.SUPPRESSION_SNAPSHOT_EVENTS && caughtUp) ||
      this.unsaved >= 10 * this.env.SUPPRESSION_SNAPSHOT_EVENTS ||
      Date.now() - this.lastSnapshotAt >= this.env.SUPPRESSION_SNAPSHOT_INTERVAL_MS;
    if (due) {
      this.snapshot().catch((error: unknown) => this.logger.warn({ err: error }, 'snapshot failed; will try again'));
    }
  }

  /**
   * Encodes the state between two batches (the queue waits a fraction of a second at a million identifiers; checks
   * go on being answered), then stores the copy while batches flow again. The feed of everything
   * before is published first, and the positions are taken with the copy: a batch counts as processed only after
   * it was applied, so they never run ahead of what the snapshot holds.
   */
  snapshot(): Promise<void> {
    if (this.writing) return this.writing;
    const run = (async () => {
      const started = Date.now();
      const { positions, unsaved, chunks } = await this.enqueue(async () => {
        await this.flushFeed();
        const positions = this.progress.positions();
        const unsaved = this.unsaved;
        const chunks = await encodeState(this.state);
        return { positions, unsaved, chunks };
      });
      const encodedAt = Date.now();
      const number = await this.snapshots.write(chunks, positions);
      this.unsaved -= unsaved;
      this.lastSnapshotAt = Date.now();
      this.logger.log(
        {
          snapshot: number,
          chunks: chunks.length,
          bytes: chunks.reduce((sum, c) => sum + c.data.length, 0),
          encodeMs: encodedAt - started,
          writeMs: Date.now() - encodedAt,
        },
        'snapshot written',
      );
    })();
    this.writing = run.finally(() => (this.writing = undefined));
    return this.writing;
  }
}
