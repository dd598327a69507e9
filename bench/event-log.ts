/*
 * The event log's per-aggregate paths against the size of the log (issue 20 item 3), in-process against the
 * shared MongoDB/FerretDB (`MONGODB_URI`), with a throw-away database removed at the end. Kafka is replaced by a
 * producer that answers at once: what is timed is the storage path alone.
 *
 *   node -r ts-node/register/transpile-only -r tsconfig-paths/register bench/event-log.ts
 *   BENCH_EVENTLOG_N=10000,100000 BENCH_EVENTLOG_SAMPLES=30 … bench/event-log.ts
 *
 * For each N (events, three per aggregate) it seeds the log straight into the database and times, one call at a
 * time: an append to an existing aggregate the process has not seen, a ledger read (`history`) of a random
 * aggregate, `ensurePublished` of one, and `pendingCount`.
 * `BENCH_EVENTLOG_LEGACY=1` seeds the log as versions before the keyed log stored it (collection `outbox`) and times
 * its move at start (what an upgrade does) before measuring.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import mongoose from 'mongoose';
import {
  EventHead,
  EventHeadSchema,
  EventLog,
  eventPosition,
  KafkaService,
  OutboxEvent,
  OutboxEventSchema,
  PendingEvent,
  PendingEventSchema,
  ServiceConfig,
} from '@kielto/platform';

const LEVELS = (process.env.BENCH_EVENTLOG_N ?? '10000,100000').split(',').map(Number);
const SAMPLES = Number(process.env.BENCH_EVENTLOG_SAMPLES ?? 30);
const MONGODB_URI = process.env.MONGODB_URI ?? 'mongodb://127.0.0.1:27017/?directConnection=true&retryWrites=false';
const DB = `bench-eventlog-${Date.now().toString(36)}`;
const TOPIC = 'kielto.consents.v1';
const PER_AGGREGATE = 3;
const LEGACY = process.env.BENCH_EVENTLOG_LEGACY === '1';

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};

async function seedTo(connection: mongoose.Connection, from: number, n: number): Promise<void> {
  for (let i = from; i < n; i += 1000) {
    const docs = [];
    for (let k = i; k < Math.min(n, i + 1000); k++) {
      const aggregateId = `email:${Math.floor(k / PER_AGGREGATE)}`;
      const time = new Date();
      const sequence = (k % PER_AGGREGATE) + 1;
      const event = {
        topic: TOPIC,
        aggregateId,
        sequence,
        type: 'fi.kielto.consent.recorded.v1',
        time,
        data: { aggregateId, decision: 'grant' },
      };
      // As the log stores them (no head below HEAD_EVERY events), or as versions before it did.
      docs.push(
        LEGACY
          ? { _id: randomUUID(), ...event, publishedAt: time }
          : { _id: eventPosition(TOPIC, aggregateId, sequence), eventId: randomUUID(), ...event },
      );
    }
    await connection.collection(LEGACY ? 'outbox' : 'event_log').insertMany(docs as never[], { ordered: false });
  }
}

async function timed(what: string, n: number, run: (i: number) => Promise<unknown>): Promise<void> {
  const values: number[] = [];
  for (let s = 0; s < SAMPLES; s++) {
    const started = performance.now();
    await run(s);
    values.push(performance.now() - started);
  }
  console.log(
    `N=${n} ${what}: p50 ${percentile(values, 50).toFixed(1)} ms, p99 ${percentile(values, 99).toFixed(1)} ms`,
  );
}

async function main(): Promise<void> {
  const connection = await mongoose.createConnection(MONGODB_URI, { dbName: DB, retryWrites: false }).asPromise();
  const events = connection.model(OutboxEvent.name, OutboxEventSchema);
  const heads = connection.model(EventHead.name, EventHeadSchema);
  const markers = connection.model(PendingEvent.name, PendingEventSchema);
  await Promise.all([events.init(), heads.init(), markers.init()]);
  const kafka = { topic: (t: string) => t, producer: { send: () => Promise.resolve([]) } } as unknown as KafkaService;
  const config = { service: { name: 'bench', defaultPort: 0 } } as unknown as ServiceConfig;
  let seeded = 0;
  try {
    for (const n of LEVELS) {
      await seedTo(connection, seeded, n);
      seeded = n;
      // A fresh log object per level: no sequence hints from the previous one.
      const log = new EventLog(events, heads, markers, kafka, config);
      const started = performance.now();
      if (LEGACY) await heads.deleteOne({ _id: '#moved:outbox' }); // moved again at each level: only the new ones
      await log.onModuleInit();
      console.log(`N=${n} start (moving a legacy log: ${LEGACY}): ${(performance.now() - started).toFixed(0)} ms`);
      const aggregates = n / PER_AGGREGATE;
      const pick = () => `email:${Math.floor(Math.random() * aggregates)}`;
      await timed('history', n, () => log.history(TOPIC, pick()));
      await timed('append (existing aggregate)', n, () =>
        log.append({ topic: TOPIC, aggregateId: pick(), type: 'fi.kielto.consent.recorded.v1', data: { x: 1 } }),
      );
      await timed('append (new aggregate)', n, () =>
        log.append({
          topic: TOPIC,
          aggregateId: `email:new-${randomUUID()}`,
          newAggregate: true,
          type: 'fi.kielto.consent.recorded.v1',
          data: { x: 1 },
        }),
      );
      await timed('ensurePublished', n, () => log.ensurePublished(TOPIC, pick()));
      await timed('pendingCount', n, () => log.pendingCount());
      await log.beforeApplicationShutdown();
    }
  } finally {
    await connection.dropDatabase();
    await connection.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
