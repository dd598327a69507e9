import { Logger } from '@nestjs/common';
import { CustomTransportStrategy, Server } from '@nestjs/microservices';
import { Consumer, EachBatchPayload, KafkaMessage } from 'kafkajs';
import './kafkajs-request-queue';
import { lastValueFrom } from 'rxjs';
import { KieltoEvent, TOPICS } from '@kielto/contracts';
import { consumerHandlerContext } from './consumer-context';
import { ConsumerProgress } from './consumer-progress';
import { fastEventValidators, parseEvent } from './event-parser';
import { KafkaService } from './kafka.service';
import { deadLetteredMessages } from '../metrics/metrics';

/** What an @EventPattern(<topic>) handler receives: the valid events of one batch, in partition order. */
export interface EventBatch {
  topic: string;
  partition: number;
  events: KieltoEvent[];
}

export interface KafkaEventsServerOptions {
  /** Consumer group (without the topic prefix). */
  groupId: string;
  /** Read from the beginning when the group has no committed offset (rebuilds, new instances). */
  fromBeginning?: boolean;
  /** How often the end offsets are sampled to compute `asOf`. */
  watermarkIntervalMs?: number;
  /**
   * Where to resume after joining the group. `committed` (default): the group's committed offsets. `progress`:
   * the positions in ConsumerProgress, i.e. exactly what the service's state includes (seeded by the service from
   * its own persisted state before the consumer starts), and the start of the partition where it has none. The
   * group's commits are then only informational (lag monitoring).
   */
  resumeFrom?: 'committed' | 'progress';
  /** Fetch size per partition (kafkajs default 1 MB): larger batches mean fewer round trips when catching up. */
  maxBytesPerPartition?: number;
}

const MAX_BACKOFF_MS = 10_000;
/** A sample of the end offsets slower than this is logged: it holds `asOf` back by as much. */
const SLOW_SAMPLE_MS = 1_000;
const HEARTBEAT_WHILE_HANDLING_MS = 3_000;
/**
 * The group's offsets are committed at most this often, beside the consumption rather than in its way: kafkajs's
 * autoCommit commits after every batch, a round trip to the coordinator that each batch waited for (and with it every
 * event fetched after it: opt-out propagation, issue 20). A crash re-reads at most this much, which consumers
 * deduplicate anyway; a shutdown commits everything processed before it leaves the group.
 */
const COMMIT_INTERVAL_MS = 1_000;

/**
 * Nest microservice transport for kielto's topics, on kafkajs. Compared with Nest's stock Kafka transport it
 * (1) hands each @EventPattern handler whole batches, so consumers can write in bulk, (2) validates every
 * message and sends malformed ones to the DLQ with the reason, then moves on, (3) retries a failing batch
 * with backoff and commits offsets only after the handler succeeded (nothing accepted is lost), and
 * (4) tracks progress so the service can tell how fresh its state is.
 */
export class KafkaEventsServer extends Server implements CustomTransportStrategy {
  protected override readonly logger = new Logger(KafkaEventsServer.name);
  private consumer?: Consumer;
  private watermarkTimer?: NodeJS.Timeout;
  private stopping = false;
  /** The commit under way, if any (one at a time). */
  private committing?: Promise<void>;
  private lastCommitAt = 0;
  /** Commits every offset processed so far and not yet committed (set by each batch handled). */
  private commitProcessed?: () => Promise<void>;
  dlqCount = 0;

  constructor(
    private readonly kafka: KafkaService,
    private readonly options: KafkaEventsServerOptions,
    readonly progress: ConsumerProgress = new ConsumerProgress(),
  ) {
    super();
  }

  private get groupId(): string {
    return this.kafka.topic(this.options.groupId);
  }

  /** Logical topics (contract names) that have a handler. */
  private get logicalTopics(): string[] {
    return [...this.messageHandlers.keys()];
  }

  async listen(callback: (...optionalParams: unknown[]) => void): Promise<void> {
    try {
      await this.start();
      callback();
    } catch (error) {
      callback(error);
    }
  }

  private async start(): Promise<void> {
    const topics = this.logicalTopics.map((t) => this.kafka.topic(t));
    if (topics.length === 0) return;
    const consumer = this.kafka.kafka.consumer({
      groupId: this.groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: 15_000,
      heartbeatInterval: 1_000,
      maxWaitTimeInMs: 100,
      ...(this.options.maxBytesPerPartition ? { maxBytesPerPartition: this.options.maxBytesPerPartition } : {}),
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 200, maxRetryTime: 5_000 },
    });
    this.consumer = consumer;
    if (this.options.resumeFrom === 'progress') {
      // Where a partition has no position yet, the state holds nothing of it: start at its first offset.
      const starts = await this.firstOffsets(topics);
      // Synchronously on join, before the first fetch of the new generation: kafkajs applies seeks then.
      consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
        for (const [topic, partitions] of Object.entries(payload.memberAssignment)) {
          for (const partition of partitions) {
            const next = this.progress.nextOffset(topic, partition) ?? starts.get(`${topic}:${partition}`);
            if (next !== undefined) consumer.seek({ topic, partition, offset: next.toString() });
          }
        }
      });
    } else {
      consumer.on(consumer.events.GROUP_JOIN, () => void this.seedProgress(topics));
    }
    consumer.on(consumer.events.CRASH, (event) => {
      this.logger.error({ err: event.payload.error, restart: event.payload.restart }, 'Kafka consumer crashed');
    });
    await consumer.connect();
    await whileTopicsSettle(() => consumer.subscribe({ topics, fromBeginning: this.options.fromBeginning ?? true }));
    // Joining the group is not awaited: after a crash the join waits for the dead member's session to expire
    // (sessionTimeout), and the service's HTTP API (recording an opt-out, above all) must not be down meanwhile.
    // Nothing is missed: the group resumes from its committed offsets (a new group from the beginning), and
    // freshness-dependent answers stay 503 until the consumer has caught up. Join failures restart the consumer.
    consumer
      .run({
        // Offsets are committed by handleBatch, every COMMIT_INTERVAL_MS, only once the handler has succeeded.
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: 1,
        eachBatch: (payload) => this.handleBatch(payload),
      })
      .catch((error: unknown) => this.logger.error({ err: error }, 'Kafka consumer did not start'));
    this.startWatermarkPoller(topics);
    // After the consumer started (a replay from the start compiles what it reads on first use, faster than all).
    fastEventValidators()
      .warmUp()
      .catch((error: unknown) => this.logger.warn({ err: error }, 'event validators not compiled ahead'));
  }

  private async handleBatch({
    batch,
    resolveOffset,
    heartbeat,
    commitOffsetsIfNecessary,
    uncommittedOffsets,
    isRunning,
    isStale,
  }: EachBatchPayload) {
    const logical = batch.topic.slice(this.kafka.config.topicPrefix.length);
    const handler = this.getHandlerByPattern(logical);
    if (!handler || batch.messages.length === 0) return;

    const valid: KieltoEvent[] = [];
    const poisoned: { message: KafkaMessage; reason: string }[] = [];
    for (const message of batch.messages) {
      const result = parseEvent(message.value, message.key?.toString('utf8'));
      if (result.ok) valid.push(result.event);
      else poisoned.push({ message, reason: result.reason });
    }

    for (let attempt = 0; ; attempt++) {
      if (!isRunning() || isStale()) return;
      try {
        if (poisoned.length > 0) await this.deadLetter(batch.topic, batch.partition, poisoned);
        if (valid.length > 0) {
          const eventBatch: EventBatch = { topic: logical, partition: batch.partition, events: valid };
          // A long batch (a slow database, many erasures) must not cost the group membership: without heartbeats
          // past sessionTimeout the member is evicted, its commit refused, and the same batch redelivered forever.
          const beating = setInterval(() => void heartbeat().catch(() => undefined), HEARTBEAT_WHILE_HANDLING_MS);
          try {
            await consumerHandlerContext.run(true, async (): Promise<void> => {
              await lastValueFrom(this.transformToObservable(await handler(eventBatch)), { defaultValue: undefined });
            });
          } finally {
            clearInterval(beating);
          }
        }
        break;
      } catch (error) {
        // A transient failure (database down, broker gone): keep the offsets, back off, try the same batch again.
        const delay = Math.min(MAX_BACKOFF_MS, 100 * 2 ** Math.min(attempt, 7));
        this.logger.warn(
          { err: error, topic: batch.topic, partition: batch.partition, attempt, delay },
          'batch failed; retrying',
        );
        await sleep(delay);
        await heartbeat().catch(() => undefined);
      }
    }
    const last = batch.messages[batch.messages.length - 1].offset;
    resolveOffset(last);
    this.progress.markProcessed(batch.topic, batch.partition, last);
    // This batch's consumer group (a consumer restarted after a crash has a new one).
    this.commitProcessed = () => commitOffsetsIfNecessary(uncommittedOffsets());
    if (this.stopping) await this.commit();
    else if (!this.committing && Date.now() - this.lastCommitAt >= COMMIT_INTERVAL_MS) void this.commit();
    await heartbeat();
  }

  /**
   * Commits what was processed, after any commit under way (the group's offsets only ever move forward). A failure
   * (a rebalance, the coordinator moving) is only logged: the next commit includes the same offsets.
   */
  private commit(): Promise<void> {
    const commit = this.commitProcessed;
    if (!commit) return Promise.resolve();
    this.lastCommitAt = Date.now();
    const run = (this.committing ?? Promise.resolve()).then(commit).catch((error: unknown) => {
      this.logger.debug({ err: error }, 'could not commit offsets; the next commit includes them');
    });
    this.committing = run;
    void run.finally(() => {
      if (this.committing === run) this.committing = undefined;
    });
    return run;
  }

  private async deadLetter(topic: string, partition: number, poisoned: { message: KafkaMessage; reason: string }[]) {
    await this.kafka.producer.send({
      topic: this.kafka.topic(TOPICS.dlq),
      acks: -1,
      messages: poisoned.map(({ message, reason }) => ({
        key: message.key,
        value: message.value,
        headers: {
          'kielto-dlq-reason': reason,
          'kielto-dlq-topic': topic,
          'kielto-dlq-partition': String(partition),
          'kielto-dlq-offset': message.offset,
          'kielto-dlq-consumer': this.groupId,
        },
      })),
    });
    this.dlqCount += poisoned.length;
    deadLetteredMessages().inc(
      { service: this.kafka.config.service.name, topic: topic.slice(this.kafka.config.topicPrefix.length) },
      poisoned.length,
    );
    for (const { message, reason } of poisoned) {
      this.logger.warn({ topic, partition, offset: message.offset, reason }, 'malformed event sent to the DLQ');
    }
  }

  /** The first offset of every partition. */
  private firstOffsets(topics: string[]): Promise<Map<string, bigint>> {
    return whileTopicsSettle(async () => {
      const starts = new Map<string, bigint>();
      for (const topic of topics) {
        for (const o of await this.kafka.getAdmin().fetchTopicOffsets(topic)) {
          starts.set(`${topic}:${o.partition}`, BigInt(o.low));
        }
      }
      return starts;
    });
  }

  /** After a (re)join, what the group had committed before counts as processed. */
  private async seedProgress(topics: string[]): Promise<void> {
    try {
      const committed = await this.kafka.getAdmin().fetchOffsets({ groupId: this.groupId, topics });
      for (const t of committed) {
        for (const p of t.partitions) {
          if (Number(p.offset) > 0) this.progress.markProcessed(t.topic, p.partition, String(BigInt(p.offset) - 1n));
        }
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'could not read committed offsets');
    }
  }

  private startWatermarkPoller(topics: string[]): void {
    const interval = this.options.watermarkIntervalMs ?? 250;
    let regular: Promise<void> | undefined;
    let onDemand: Promise<void> | undefined;
    this.watermarkTimer = setInterval(() => {
      if (regular || this.stopping) return;
      regular = this.sampleEnds(topics).finally(() => (regular = undefined));
    }, interval);
    this.watermarkTimer.unref();
    // A check that finds the watermark older than its bound asks for a sample at once (one at a time, shared by
    // every check waiting), beside a regular one that may have started before the delay it is to make up for.
    this.progress.setSampler(() => {
      if (this.stopping) return Promise.resolve();
      onDemand ??= this.sampleEnds(topics).finally(() => (onDemand = undefined));
      return onDemand;
    });
  }

  /**
   * Samples the end offsets of every topic; once processing reaches them, the state includes everything published
   * before `at`. A slow sample only delays `asOf` (it is stamped with the time it was asked, not answered); a sample
   * that fails leaves it where it was (the broker is unreachable: checks fail closed).
   */
  private async sampleEnds(topics: string[]): Promise<void> {
    const at = Date.now();
    try {
      const all = await Promise.all(
        topics.map(async (topic) => ({ topic, offsets: await this.kafka.getAdmin().fetchTopicOffsets(topic) })),
      );
      const ends = new Map<string, bigint>();
      for (const { topic, offsets } of all) {
        for (const o of offsets) ends.set(`${topic}:${o.partition}`, BigInt(o.high));
      }
      const tookMs = Date.now() - at;
      if (tookMs > SLOW_SAMPLE_MS) this.logger.warn({ tookMs }, 'sampling the end offsets was slow; asOf lagged');
      this.progress.observeEnds(at, ends);
    } catch (error) {
      this.logger.debug({ err: error }, 'could not sample the end offsets');
    }
  }

  async close(): Promise<void> {
    this.stopping = true;
    clearInterval(this.watermarkTimer);
    // What was processed is committed before the consumer leaves the group (a batch still being handled commits
    // its own offsets when it ends, before the consumer stops).
    await this.commit();
    await this.consumer?.disconnect().catch(() => undefined);
  }

  on(): void {
    throw new Error('KafkaEventsServer does not emit status events');
  }

  unwrap<T>(): T {
    return this.consumer as T;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Right after topics are created the broker may not host them yet (UNKNOWN_TOPIC_OR_PARTITION) or not have elected
 * their leaders (NOT_LEADER_FOR_PARTITION): retry such errors for up to 15 s.
 */
async function whileTopicsSettle<T>(action: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await action();
    } catch (error) {
      const { retriable, type } = error as { retriable?: boolean; type?: string };
      if (attempt >= 60 || (retriable !== true && type !== 'UNKNOWN_TOPIC_OR_PARTITION')) throw error;
      await sleep(250);
    }
  }
}
