/*
 * Loading a legacy register through the bulk path (issue 20 item 4): customers (e-mail + phone each) and three
 * ledger entries per customer, posted as `kielto import` posts them (batches of 1000, one at a time), to the customers
 * and consents services started in this process against the shared Kafka and MongoDB/FerretDB, with their own
 * database and topic prefix (removed at the end). Prints rows/s per kind; suppression's catch-up is not included.
 *
 *   node -r ts-node/register/transpile-only -r tsconfig-paths/register bench/import.ts
 *   BENCH_IMPORT_N=10000 … bench/import.ts
 */
import { performance } from 'node:perf_hooks';
import { Kafka, logLevel } from 'kafkajs';
import { MongoClient } from 'mongodb';
import type { ServiceApp } from '@kielto/platform';

const N = Number(process.env.BENCH_IMPORT_N ?? 1000);
const BATCH = Number(process.env.BENCH_IMPORT_BATCH ?? 1000);
const MONGODB_URI = process.env.MONGODB_URI ?? 'mongodb://127.0.0.1:27017/?directConnection=true&retryWrites=false';
const KAFKA_BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
const RUN = `bench-import-${Date.now().toString(36)}`;
const STAFF = 'bench-import-staff-key';

Object.assign(process.env, {
  MONGODB_URI,
  KAFKA_BROKERS,
  MONGODB_DB_PREFIX: RUN,
  KAFKA_TOPIC_PREFIX: `${RUN}.`,
  KIELTO_API_KEYS: `staff:${STAFF},admin:bench-import-admin-key`,
  KIELTO_SERVICE_KEY: 'bench-import-admin-key',
  KIELTO_RATE_LIMIT_PER_MINUTE: '100000000',
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
});

const customer = (i: number) =>
  JSON.stringify({
    ref: `B-${i}`,
    kind: 'person',
    name: `Asiakas ${i}`,
    emails: [`import${i}@example.fi`],
    phones: [`+35840${String(i).padStart(7, '0')}`],
    activeContract: true,
    customerSince: '2015-01-01T00:00:00Z',
  });
const DECISIONS = [
  ['email', 'own-marketing', 'grant', '2019-01-01'],
  ['sms', 'partner-marketing', 'grant', '2019-06-01'],
  ['email', 'own-marketing', 'withdraw', '2021-01-01'],
] as const;
const entries = (i: number) =>
  DECISIONS.map(([channel, purpose, decision, day]) =>
    JSON.stringify({
      customerRef: `B-${i}`,
      channel,
      purpose,
      decision,
      source: 'legacy',
      recordedAt: `${day}T10:00:00Z`,
    }),
  );

async function post(url: string, rows: string[]): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${STAFF}`, 'content-type': 'application/x-ndjson', 'idempotency-key': RUN },
      body: `${rows.join('\n')}\n`,
    });
    if (res.ok) return void (await res.arrayBuffer());
    if (res.status !== 503 || attempt > 10) throw new Error(`${url}: ${res.status} ${await res.text()}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

async function timedImport(url: string, total: number, rowsOf: (i: number) => string[]): Promise<number> {
  const started = performance.now();
  let batch: string[] = [];
  let done = 0;
  for (let i = 0; i < N; i++) {
    batch.push(...rowsOf(i));
    if (batch.length >= BATCH || i === N - 1) {
      await post(url, batch);
      done += batch.length;
      batch = [];
      process.stderr.write(`\r${url.split('/').at(-2)} ${done}/${total}`);
    }
  }
  process.stderr.write('\n');
  return (performance.now() - started) / 1000;
}

async function main(): Promise<void> {
  const apps: ServiceApp[] = [];
  try {
    for (const name of ['consents', 'customers']) {
      const { start } = (await import(`../apps/${name}/src/service`)) as { start(port?: number): Promise<ServiceApp> };
      apps.push(await start(0));
    }
    const [consents, customers] = apps;
    const c = await timedImport(`${customers.url}/v1/customers/import`, N, (i) => [customer(i)]);
    console.log(`N=${N} customers: ${c.toFixed(1)} s, ${(N / c).toFixed(0)} customers/s`);
    const e = await timedImport(`${consents.url}/v1/consents/import`, 3 * N, entries);
    console.log(`N=${N} ledger entries (${3 * N}): ${e.toFixed(1)} s, ${((3 * N) / e).toFixed(0)} entries/s`);
  } finally {
    for (const app of apps.reverse()) await app.app.close();
    const client = await MongoClient.connect(MONGODB_URI);
    for (const db of ['customers', 'consents']) await client.db(`${RUN}-${db}`).dropDatabase();
    await client.close();
    const admin = new Kafka({ brokers: KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${RUN}.`));
    if (topics.length > 0) await admin.deleteTopics({ topics });
    await admin.disconnect();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
