import { randomUUID } from 'node:crypto';
import { Consumer, Kafka, KafkaConfig, logLevel } from 'kafkajs';
import { ApplyResult, HashedSuppressionSet } from './suppression-set';

export interface PartnerFeedOptions {
  /** Bootstrap servers kielto gave you, e.g. ['kafka.kielto.example:9093']. */
  brokers: string[];
  /** `kielto.suppression.v1` (with a prefix in test environments). */
  topic?: string;
  /** Prefix of the consumer group; each start uses a fresh group, since the set is rebuilt from the beginning. */
  groupPrefix?: string;
  /** TLS / SASL settings as kielto gave them to you. */
  ssl?: KafkaConfig['ssl'];
  sasl?: KafkaConfig['sasl'];
  /** Called for every record applied (for logging or metrics). */
  onApplied?: (result: ApplyResult, partition: number, offset: string) => void;
}

/**
 * Keeps a HashedSuppressionSet in step with kielto's compacted partner feed. The set lives in memory, so every
 * start reads the topic from the beginning (the compacted topic holds one record per suppressed identifier,
 * plus recent tombstones) and `ready()` resolves once the set holds everything that was on the topic when the
 * consumer started. Do not answer "may I market to X?" before that: an incomplete list would let objections
 * through. After that the set follows the feed live.
 *
 * A partner that keeps the set in its own database would instead use a stable consumer group and commit
 * offsets only after the records are stored, applying each record idempotently (a record is the whole current
 * value of its key, so applying it twice changes nothing).
 */
export class PartnerFeedConsumer {
  readonly set = new HashedSuppressionSet();
  private readonly kafka: Kafka;
  private consumer?: Consumer;
  private readonly topic: string;
  private readonly remaining = new Map<number, bigint>(); // partition → offset that must be reached for ready()
  private markReady!: () => void;
  private readonly readyPromise = new Promise<void>((resolve) => (this.markReady = resolve));

  constructor(private readonly options: PartnerFeedOptions) {
    this.topic = options.topic ?? 'kielto.suppression.v1';
    this.kafka = new Kafka({
      clientId: 'kielto-partner-consumer',
      brokers: options.brokers,
      ssl: options.ssl,
      sasl: options.sasl,
      logLevel: logLevel.WARN,
    });
  }

  async start(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      for (const { partition, high } of await admin.fetchTopicOffsets(this.topic)) {
        if (BigInt(high) > 0n) this.remaining.set(partition, BigInt(high));
      }
    } finally {
      await admin.disconnect();
    }
    if (this.remaining.size === 0) this.markReady();

    this.consumer = this.kafka.consumer({
      groupId: `${this.options.groupPrefix ?? 'partner-suppression'}-${randomUUID()}`,
    });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await this.consumer.run({
      autoCommit: false, // nothing to resume from: the next start reads from the beginning again
      eachBatch: async ({ batch, heartbeat }) => {
        for (const message of batch.messages) {
          const result = this.set.apply({ key: message.key, value: message.value });
          this.options.onApplied?.(result, batch.partition, message.offset);
        }
        const last = batch.messages.at(-1);
        if (last) this.caughtUp(batch.partition, BigInt(last.offset) + 1n);
        await heartbeat();
      },
    });
  }

  /** Resolves when the set holds every record that was on the topic at start. */
  ready(): Promise<void> {
    return this.readyPromise;
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }

  private caughtUp(partition: number, next: bigint): void {
    const target = this.remaining.get(partition);
    if (target !== undefined && next >= target) this.remaining.delete(partition);
    if (this.remaining.size === 0) this.markReady();
  }
}
