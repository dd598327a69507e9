import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Admin, ConfigResourceTypes, ITopicConfig, Kafka, logLevel, Producer, SASLOptions } from 'kafkajs';
import './kafkajs-request-queue';
import { SUPPRESSION_ENTRIES_TOPIC, TOPICS } from '@kielto/contracts';
import { ServiceConfig } from '../config/service-config';
import { kafkaLogLevel } from './kafka-log-level';
import { KeyHashPartitioner } from './partitioner';

/** Half a day: segment roll plus compaction lag stay within one day. */
export const COMPACTION_BOUND_MS = 12 * 3_600_000;

/**
 * Every topic of the contract with its settings. Topics are created by the services at start-up, never by
 * broker auto-creation (docs/CONTRACT.md §4). Retention is unlimited where a topic is a source of truth that an
 * empty store is rebuilt from; state topics are compacted so only the newest state of each key stays.
 */
export const TOPIC_SPECS: ReadonlyArray<{ name: string; partitions: number; config: Record<string, string> }> = [
  // Each customer event carries the full state; compaction drops superseded personal data, erasure included, and is
  // bounded in time (GDPR Art 17): a segment rolls within COMPACTION_BOUND_MS and is compacted within as long again,
  // so an erased customer's earlier events leave the broker within a day.
  {
    name: TOPICS.customers,
    partitions: 3,
    config: {
      'cleanup.policy': 'compact',
      'retention.ms': '-1',
      'segment.ms': String(COMPACTION_BOUND_MS),
      'max.compaction.lag.ms': String(COMPACTION_BOUND_MS),
    },
  },
  // The consent ledger: every entry counts (latest-wins per channel/purpose), so nothing may be compacted.
  { name: TOPICS.consents, partitions: 3, config: { 'cleanup.policy': 'delete', 'retention.ms': '-1' } },
  { name: TOPICS.directoryBans, partitions: 3, config: { 'cleanup.policy': 'compact', 'retention.ms': '-1' } },
  { name: TOPICS.suppression, partitions: 3, config: { 'cleanup.policy': 'compact', 'retention.ms': '-1' } },
  // Internal to suppression: staff entries, replayed by every instance and by rebuilds, so kept forever.
  { name: SUPPRESSION_ENTRIES_TOPIC, partitions: 3, config: { 'cleanup.policy': 'delete', 'retention.ms': '-1' } },
  { name: TOPICS.dlq, partitions: 1, config: { 'cleanup.policy': 'delete', 'retention.ms': String(30 * 86_400_000) } },
];

function saslOptions(config: ServiceConfig): SASLOptions | undefined {
  const security = config.env.KAFKA_SECURITY;
  if (!security.startsWith('sasl')) return undefined;
  const username = config.env.KAFKA_SASL_USERNAME ?? '';
  const password = config.env.KAFKA_SASL_PASSWORD ?? '';
  if (security.endsWith('scram-256')) return { mechanism: 'scram-sha-256', username, password };
  if (security.endsWith('scram-512')) return { mechanism: 'scram-sha-512', username, password };
  return { mechanism: 'plain', username, password };
}

/** The Kafka client, one idempotent producer, and topic provisioning for a service. */
@Injectable()
export class KafkaService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(KafkaService.name);
  readonly kafka: Kafka;
  readonly producer: Producer;
  private admin?: Admin;
  private producerConnected = false;

  constructor(readonly config: ServiceConfig) {
    const security = config.env.KAFKA_SECURITY;
    this.kafka = new Kafka({
      clientId: `kielto-${config.service.name}`,
      brokers: config.env.KAFKA_BROKERS.split(',').map((b) => b.trim()),
      ssl: security === 'ssl' || security.startsWith('sasl-ssl'),
      sasl: saslOptions(config),
      connectionTimeout: 3000,
      requestTimeout: 10000,
      retry: { initialRetryTime: 100, retries: 8, maxRetryTime: 5000 },
      logLevel: logLevel.WARN,
      logCreator: () => (entry) => {
        // kafkajs log entries hold broker and protocol details only, never message values.
        const { message, ...rest } = entry.log;
        // Retries are bounded on purpose (the outbox relay retries publication itself).
        if (message.startsWith('Limiting retries for the idempotent producer')) return;
        this.logger[kafkaLogLevel(entry)]({ kafka: entry.namespace, ...rest }, message);
      },
    });
    // Idempotent with one request in flight: no duplicates from retries and per-key order kept.
    this.producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: KeyHashPartitioner,
    });
    this.producer.on(this.producer.events.DISCONNECT, () => (this.producerConnected = false));
    this.producer.on(this.producer.events.CONNECT, () => (this.producerConnected = true));
  }

  topic(name: string): string {
    return this.config.physical(name);
  }

  async onModuleInit(): Promise<void> {
    await this.ensureTopics();
    await this.producer.connect();
  }

  async ensureTopics(): Promise<void> {
    const admin = this.getAdmin();
    const existing = new Set(await admin.listTopics());
    const missing: ITopicConfig[] = TOPIC_SPECS.filter((t) => !existing.has(this.topic(t.name))).map((t) => ({
      topic: this.topic(t.name),
      numPartitions: t.partitions,
      replicationFactor: -1,
      configEntries: Object.entries(t.config).map(([name, value]) => ({ name, value })),
    }));
    if (missing.length > 0) {
      try {
        // kafkajs' own leader wait fails on UNKNOWN_TOPIC_OR_PARTITION while metadata propagates;
        // waitForLeaders below retries until every partition has a leader.
        await admin.createTopics({ topics: missing, waitForLeaders: false });
        this.logger.log(`created topics ${missing.map((t) => t.topic).join(', ')}`);
      } catch (error) {
        // Another service may have created the same topic at the same moment.
        if ((error as { type?: string }).type !== 'TOPIC_ALREADY_EXISTS') throw error;
      }
    }
    await this.alignConfigs(TOPIC_SPECS.filter((t) => existing.has(this.topic(t.name))));
    await this.waitForLeaders(TOPIC_SPECS.map((t) => this.topic(t.name)));
  }

  /**
   * Topics created by an older version get the settings of TOPIC_SPECS at start-up (e.g. the bounded compaction of
   * the customers topic). AlterConfigs replaces a topic's whole dynamic configuration, so the full spec is sent, and
   * only for topics where a value differs.
   */
  private async alignConfigs(specs: typeof TOPIC_SPECS): Promise<void> {
    if (specs.length === 0) return;
    const admin = this.getAdmin();
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: specs.map((t) => ({
        type: ConfigResourceTypes.TOPIC,
        name: this.topic(t.name),
        configNames: Object.keys(t.config),
      })),
    });
    const stale = specs.filter((t) => {
      const found = resources.find((r) => r.resourceName === this.topic(t.name))?.configEntries ?? [];
      return Object.entries(t.config).some(
        ([name, value]) => found.find((e) => e.configName === name)?.configValue !== value,
      );
    });
    if (stale.length === 0) return;
    await admin.alterConfigs({
      validateOnly: false,
      resources: stale.map((t) => ({
        type: ConfigResourceTypes.TOPIC,
        name: this.topic(t.name),
        configEntries: Object.entries(t.config).map(([name, value]) => ({ name, value })),
      })),
    });
    this.logger.log(`aligned the settings of topics ${stale.map((t) => this.topic(t.name)).join(', ')}`);
  }

  /** A new topic's metadata reaches every listener a moment after creation; subscribing earlier fails. */
  private async waitForLeaders(topics: string[], timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const { topics: meta } = await this.getAdmin().fetchTopicMetadata({ topics });
        if (meta.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
      }
      if (Date.now() > deadline) throw new Error(`Kafka topics have no leader after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  getAdmin(): Admin {
    this.admin ??= this.kafka.admin();
    return this.admin;
  }

  /** For readiness: can we reach the cluster right now? */
  async ping(timeoutMs = 2000): Promise<void> {
    const admin = this.getAdmin();
    await withTimeout(
      admin.connect().then(() => admin.describeCluster()),
      timeoutMs,
      'Kafka did not answer',
    );
  }

  get isProducerConnected(): boolean {
    return this.producerConnected;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.producer.disconnect().catch(() => undefined);
    await this.admin?.disconnect().catch(() => undefined);
  }
}

export async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
