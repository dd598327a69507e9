import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { ServiceConfig } from '../config/service-config';
import { ConsumerProgress } from '../kafka/consumer-progress';
import { EventLog } from '../outbox/event-log.service';
import { deadLetteredMessages, gauge } from './metrics';

/** Live instances (tests run several services in one process): each reports under its own `service` label. */
const live = new Set<PlatformMetrics>();

const outboxPending = gauge(
  'kielto_outbox_pending_events',
  'Events stored in the outbox but not yet published to Kafka',
  ['service'],
  async () => {
    outboxPending.reset();
    await Promise.all(
      [...live].map(async (m) => {
        const pending = await m.pendingEvents();
        if (pending !== undefined) outboxPending.set({ service: m.service }, pending);
      }),
    );
  },
);

const consumerLag = gauge(
  'kielto_kafka_consumer_lag_messages',
  'Messages of the consumed topics not yet processed (0 for a service without consumers)',
  ['service'],
  () => {
    consumerLag.reset();
    for (const m of live) consumerLag.set({ service: m.service }, m.lag());
  },
);

// Registered up front so that the series' HELP/TYPE are there before the first dead letter.
deadLetteredMessages();

/**
 * The platform's own operational gauges, read when Prometheus scrapes: the outbox backlog (events stored but not
 * yet published: grows while Kafka is unreachable) and the consumer lag (messages of the consumed topics not yet
 * processed). A failing read leaves the series out rather than failing the whole scrape. Dead letters are counted
 * by the Kafka transport (`kielto_kafka_dead_letters_total`).
 */
@Injectable()
export class PlatformMetrics implements OnModuleInit, OnModuleDestroy {
  constructor(
    private readonly config: ServiceConfig,
    private readonly eventLog: EventLog,
    private readonly progress: ConsumerProgress,
  ) {}

  get service(): string {
    return this.config.service.name;
  }

  /** From memory: a count of the log by its `pending` flag would read every document of it on FerretDB, per scrape. */
  pendingEvents(): Promise<number | undefined> {
    return Promise.resolve(this.eventLog.unpublishedCount);
  }

  lag(): number {
    return this.progress.lag();
  }

  onModuleInit(): void {
    live.add(this);
  }

  onModuleDestroy(): void {
    live.delete(this);
  }
}
