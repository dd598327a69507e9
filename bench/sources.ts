/*
 * Source-service hot paths against the collection size (issue 20 item 3): the customers service on a spare port,
 * against the shared Kafka and MongoDB/FerretDB (`KAFKA_BROKERS`, `MONGODB_URI`), with its own database prefix and
 * topic prefix, both removed at the end.
 *
 *   node -r ts-node/register/transpile-only -r tsconfig-paths/register bench/sources.ts
 *   BENCH_SOURCES_N=1000,10000,100000 BENCH_SOURCES_SAMPLES=100 … bench/sources.ts
 *
 * For each N it seeds customers up to N straight into the database, as the service stores them (revision, event
 * log entry, read model, number claim, lookup slots), starts the service, and measures over HTTP, one request at a
 * time: `POST /v1/customers` p50/p99 and `GET /v1/customers?email=|phone=|customerNumber=` p50/p99 for seeded
 * customers. Seeding through the service would take hours at 10^4 on FerretDB for exactly the reason measured.
 * `BENCH_SOURCES_BACKFILL=1` seeds no slots and leaves them to the start-up backfill (its time is printed as part
 * of the start). `BENCH_SOURCES_DROP=<run>` only removes what an interrupted run left.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { MongoClient } from 'mongodb';
import { CUSTOMER_EVENT_TYPES, TOPICS } from '@kielto/contracts';
import { DEVELOPMENT_SECRET, eventPosition, IdentifierHasher } from '@kielto/platform';
import { toEventState } from '../apps/customers/src/customers/customer-mapping';
import { generateCustomerNumber } from '../apps/customers/src/customers/customer-number';
import type { CustomerRecord } from '../apps/customers/src/customers/customer-record';
import { advanceHoldings, identifiersOf } from '../apps/customers/src/customers/identifier-holdings';
import { BENCH_SERVERS, benchRun, dropRunData } from './run-data';

const { run: RUN, staff: STAFF } = benchRun('sources');
const { mongodbUri: MONGODB_URI } = BENCH_SERVERS;

const LEVELS = (process.env.BENCH_SOURCES_N ?? '1000,10000').split(',').map(Number);
const SAMPLES = Number(process.env.BENCH_SOURCES_SAMPLES ?? 50);
const PORT = Number(process.env.BENCH_SOURCES_PORT ?? 3911);
const BACKFILL = process.env.BENCH_SOURCES_BACKFILL === '1';

const hasher = new IdentifierHasher(process.env.KIELTO_PARTNER_HASH_KEY ?? DEVELOPMENT_SECRET);
const email = (i: number) => `bench${i}@example.fi`;
const phone = (i: number) => `+35840${String(i).padStart(7, '0')}`;
const newPhone = (i: number) => `+35850${String(i % 10_000_000).padStart(7, '0')}`;

function record(i: number, customerNumber: string): CustomerRecord {
  const now = new Date().toISOString();
  const draft: CustomerRecord = {
    id: randomUUID(),
    customerNumber,
    kind: 'person',
    name: `Bench Customer ${i}`,
    language: 'fi',
    emails: [email(i)],
    phones: [phone(i)],
    address: { street: `Testikatu ${i}`, postalCode: '00100', city: 'Helsinki', country: 'FI' },
    contactPersons: [],
    activeContract: true,
    products: ['mobile-subscription'],
    holdings: [],
    formerContactPoints: [],
    restrictionHistory: [],
    rectifications: [],
    createdAt: now,
    createdBy: 'bench',
    updatedAt: now,
  };
  return {
    ...draft,
    ...advanceHoldings(
      draft,
      identifiersOf(draft, (v) => hasher.hash(v)),
      now,
    ),
  };
}

/** Seeded customers: index → customer number (for lookups). */
const seeded: string[] = [];
const numbers = new Set<string>();

async function seedTo(client: MongoClient, n: number): Promise<number> {
  const db = client.db(`${RUN}-customers`);
  const started = performance.now();
  while (seeded.length < n) {
    const batch = Math.min(1000, n - seeded.length);
    const revisions = [];
    const events = [];
    const projections = [];
    const claims = [];
    const slots = [];
    for (let k = 0; k < batch; k++) {
      const i = seeded.length;
      let customerNumber = generateCustomerNumber();
      while (numbers.has(customerNumber)) customerNumber = generateCustomerNumber();
      numbers.add(customerNumber);
      seeded.push(customerNumber);
      const r = record(i, customerNumber);
      const payload = toEventState(r, hasher);
      const time = new Date();
      revisions.push({
        _id: `${r.id}:1`,
        customerId: r.id,
        version: 1,
        type: CUSTOMER_EVENT_TYPES.created,
        payload,
        record: r,
        createdAt: time,
      });
      // As the event log stores them (a published event has no pending marker; no head below 4 events).
      events.push({
        _id: eventPosition(TOPICS.customers, r.id, 1),
        eventId: randomUUID(),
        topic: TOPICS.customers,
        aggregateId: r.id,
        sequence: 1,
        type: CUSTOMER_EVENT_TYPES.created,
        time,
        data: payload,
      });
      // The read model as stored before the lookup slots (the backfill reads `record`).
      projections.push({ _id: r.id, version: 1, customerNumber, emails: r.emails, phones: r.phones, record: r });
      claims.push({ _id: customerNumber, customerId: r.id, claimedAt: time });
      // As CustomerLookups stores them: the identifier's keyed hash, the first slot (every seeded one is unique).
      slots.push(
        { _id: `email:${hasher.hash(email(i))}#0`, customerId: r.id },
        { _id: `phone:${hasher.hash(phone(i))}#0`, customerId: r.id },
      );
    }
    /* eslint-disable @typescript-eslint/no-explicit-any -- raw documents in the service's own format */
    await db.collection<any>('customer_revisions').insertMany(revisions, { ordered: false });
    await db.collection<any>('event_log').insertMany(events, { ordered: false });
    await db.collection<any>('customers').insertMany(projections, { ordered: false });
    await db.collection<any>('customer_numbers').insertMany(claims, { ordered: false });
    if (!BACKFILL) await db.collection<any>('customer_lookups').insertMany(slots, { ordered: false });
    /* eslint-enable @typescript-eslint/no-explicit-any */
  }
  const marker = { _id: 'backfill:lookups-v1' };
  if (BACKFILL) {
    // The service builds the slots of what was seeded at its start (what an upgrade does).
    await db.collection<{ _id: string }>('customer_lookups').deleteOne(marker);
  } else if (!(await db.collection<{ _id: string }>('customer_lookups').findOne(marker))) {
    await db.collection<{ _id: string }>('customer_lookups').insertOne(marker);
  }
  return performance.now() - started;
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};

async function timed(url: string, init?: RequestInit): Promise<number> {
  const started = performance.now();
  const response = await fetch(url, {
    ...init,
    headers: { authorization: `Bearer ${STAFF}`, 'content-type': 'application/json' },
  });
  const body = await response.json();
  const ms = performance.now() - started;
  if (!response.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: ${response.status} ${JSON.stringify(body)}`);
  if (Array.isArray(body) && body.length !== 1) throw new Error(`${url}: expected one customer, got ${body.length}`);
  return ms;
}

interface Row {
  n: number;
  what: string;
  p50: number;
  p99: number;
}

async function measure(n: number, base: string, created: { count: number }): Promise<Row[]> {
  const rows: Row[] = [];
  const add = (what: string, values: number[]) =>
    rows.push({ n, what, p50: percentile(values, 50), p99: percentile(values, 99) });
  const creates: number[] = [];
  for (let s = 0; s < SAMPLES; s++) {
    const i = 10_000_000 + created.count++;
    creates.push(
      await timed(`${base}/v1/customers`, {
        method: 'POST',
        body: JSON.stringify({ kind: 'person', name: `New ${i}`, emails: [email(i)], phones: [newPhone(i)] }),
      }),
    );
  }
  add('POST /v1/customers', creates);
  const pick = () => Math.floor(Math.random() * n);
  for (const [what, query] of [
    ['GET ?email=', (i: number) => `email=${encodeURIComponent(email(i))}`],
    ['GET ?phone=', (i: number) => `phone=${encodeURIComponent(phone(i))}`],
    ['GET ?customerNumber=', (i: number) => `customerNumber=${seeded[i]}`],
  ] as const) {
    const values: number[] = [];
    for (let s = 0; s < SAMPLES; s++) values.push(await timed(`${base}/v1/customers?${query(pick())}`));
    add(what, values);
  }
  return rows;
}

const drop = (run: string) => dropRunData(run, ['customers']);

async function main(): Promise<void> {
  const client = await MongoClient.connect(MONGODB_URI);
  if (process.env.BENCH_SOURCES_DROP) {
    await drop(process.env.BENCH_SOURCES_DROP);
    return client.close();
  }
  const { start } = await import('../apps/customers/src/service');
  const rows: Row[] = [];
  const created = { count: 0 };
  try {
    for (const n of LEVELS) {
      const seedMs = await seedTo(client, n);
      const started = performance.now();
      const service = await start(PORT);
      const startMs = performance.now() - started;
      console.log(
        `N=${n}: seeded in ${(seedMs / 1000).toFixed(1)} s; service ready (with backfill) in ${(startMs / 1000).toFixed(1)} s`,
      );
      try {
        const measured = await measure(n, service.url, created);
        // Each level as it is done: a long run interrupted later still leaves what it measured.
        for (const r of measured)
          console.log(`N=${n} ${r.what}: p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms`);
        rows.push(...measured);
      } finally {
        await service.app.close();
      }
    }
  } finally {
    await drop(RUN);
    await client.close();
  }
  console.log(`\n${SAMPLES} samples each, one request at a time (ms)`);
  console.table(rows.map((r) => ({ N: r.n, what: r.what, p50: +r.p50.toFixed(1), p99: +r.p99.toFixed(1) })));
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
