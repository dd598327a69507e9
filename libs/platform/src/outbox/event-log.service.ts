import { BeforeApplicationShutdown, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { randomUUID } from 'node:crypto';
import { Model } from 'mongoose';
import { CloudEventV1 } from '@kielto/contracts';
import { ServiceConfig } from '../config/service-config';
import { KafkaService } from '../kafka/kafka.service';
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
  time?: Date;
}

type Projector = (event: CloudEventV1) => Promise<void>;

const isDuplicateKey = (e: unknown) => (e as { code?: number }).code === 11000;
const RELAY_BATCH = 500;
const RELAY_INTERVAL_MS = 1000;

/**
 * Appends events to the service's log and publishes them to Kafka right after they are stored ("publish on
 * commit"), with a periodic sweep that publishes whatever a crash or a broker outage left behind.
 * Publication is at-least-once; consumers deduplicate by event id and order by sequence.
 */
@Injectable()
export class EventLog implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger(EventLog.name);
  private readonly projectors = new Map<string, Projector>();
  private relayRunning?: Promise<void>;
  private relayAgain = false;
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    @InjectModel(OutboxEvent.name) private readonly events: Model<OutboxEvent>,
    private readonly kafka: KafkaService,
    private readonly config: ServiceConfig,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => this.kick(), RELAY_INTERVAL_MS);
    this.timer.unref();
    this.kick();
  }

  /**
   * A local read model that must reflect every event of a topic. It runs right after an append, and again
   * for every event the relay publishes, so a crash between the append and the projection heals itself.
   * Projectors must therefore be idempotent (apply an event only if newer than what they hold).
   */
  registerProjector(topic: string, projector: Projector): void {
    this.projectors.set(topic, projector);
  }

  async append<T extends object>(request: AppendRequest<T>): Promise<CloudEventV1<T>> {
    for (let attempt = 0; attempt < 200; attempt++) {
      const last = await this.events
        .findOne({ topic: request.topic, aggregateId: request.aggregateId }, { sequence: 1 })
        .sort({ sequence: -1 })
        .lean();
      const sequence = (last?.sequence ?? 0) + 1;
      if (request.expectedSequence !== undefined && sequence !== request.expectedSequence) {
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
        if (!isDuplicateKey(error)) throw error;
        if (request.expectedSequence !== undefined) throw new ConcurrentModificationError();
        // Someone else took this sequence: read again and take the next one.
        await sleep(Math.random() * Math.min(50, 2 + attempt * 2));
        continue;
      }
      const event = this.toCloudEvent(doc) as CloudEventV1<T>;
      await this.projectors.get(request.topic)?.(event as CloudEventV1);
      this.kick();
      return event;
    }
    throw new ConcurrentModificationError();
  }

  /** All events of an aggregate, in order. */
  async history(topic: string, aggregateId: string): Promise<CloudEventV1[]> {
    const docs = await this.events.find({ topic, aggregateId }).sort({ sequence: 1 }).lean();
    return docs.map((d) => this.toCloudEvent(d));
  }

  /** Replace the payload of an aggregate's published events (erasure); the newest event stays as it is. */
  async redact(topic: string, aggregateId: string, belowSequence: number, data: Record<string, unknown>): Promise<void> {
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
    const result = await this.events.deleteMany({ topic, aggregateId, pending: { $exists: false } });
    return result.deletedCount;
  }

  async pendingCount(): Promise<number> {
    return this.events.countDocuments({ pending: true });
  }

  toCloudEvent(doc: OutboxEvent): CloudEventV1 {
    return {
      specversion: '1.0',
      id: doc._id,
      source: `/kielto/${this.config.service.name}`,
      type: doc.type,
      subject: doc.aggregateId,
      time: doc.time.toISOString(),
      datacontenttype: 'application/json',
      sequence: doc.sequence,
      data: doc.data,
    };
  }

  /** Ask the relay to publish now; coalesces with a run in progress. */
  kick(): void {
    if (this.stopped) return;
    if (this.relayRunning) {
      this.relayAgain = true;
      return;
    }
    this.relayRunning = this.relay()
      .catch((error: unknown) => this.logger.warn({ err: error }, 'outbox relay failed; will retry'))
      .finally(() => (this.relayRunning = undefined));
  }

  /** Publish everything pending now (used at shutdown and by tests). */
  async flush(): Promise<void> {
    while (this.relayRunning) await this.relayRunning;
    await this.relay();
  }

  private async relay(): Promise<void> {
    do {
      this.relayAgain = false;
      let batch: OutboxEvent[];
      do {
        batch = await this.events.find({ pending: true }).sort({ time: 1 }).limit(RELAY_BATCH).lean();
        if (batch.length === 0) break;
        // Within a batch, each aggregate's events go out in sequence order.
        batch.sort((a, b) => (a.aggregateId === b.aggregateId ? a.sequence - b.sequence : 0));
        const byTopic = new Map<string, OutboxEvent[]>();
        for (const doc of batch) byTopic.set(doc.topic, [...(byTopic.get(doc.topic) ?? []), doc]);
        for (const [topic, docs] of byTopic) {
          const projector = this.projectors.get(topic);
          const cloudEvents = docs.map((d) => this.toCloudEvent(d));
          if (projector) for (const event of cloudEvents) await projector(event);
          await this.kafka.producer.send({
            topic: this.kafka.topic(topic),
            acks: -1,
            messages: cloudEvents.map((e) => ({
              key: e.subject,
              value: JSON.stringify(e),
              headers: { 'content-type': 'application/cloudevents+json', 'ce-type': e.type },
            })),
          });
        }
        await this.events.updateMany(
          { _id: { $in: batch.map((d) => d._id) } },
          { $unset: { pending: 1 }, $set: { publishedAt: new Date() } },
        );
      } while (batch.length === RELAY_BATCH);
    } while (this.relayAgain);
  }

  /** Runs before the database and Kafka connections close, so pending events are published first. */
  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    try {
      await this.flush();
    } catch (error) {
      this.logger.warn({ err: error }, 'outbox not fully flushed at shutdown; the next start publishes the rest');
    }
    this.stopped = true;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
