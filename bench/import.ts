/*
 * The source services at scale (issue 20): loading a legacy register through the bulk path, then the hot paths at
 * that size. Customers (e-mail + phone each) and three ledger entries per customer are posted as `kielto import`
 * posts them (batches of BENCH_IMPORT_BATCH, one at a time) to the customers, consents and directory-bans services,
 * each in a Node process of its own as in production, against the shared Kafka and MongoDB/FerretDB, with their own
 * database and topic prefix (removed at the end). For each level of BENCH_IMPORT_LEVELS the register is imported up
 * to that many customers and the services' projections of it caught up (rows/s per kind, the catch-up counted in), then
 * measured one request at a time (BENCH_IMPORT_SAMPLES each): `POST /v1/customers`,
 * lookups by e-mail, phone and customer number, and a subject's ledger (`GET /v1/consents?customerId=`). Last,
 * BENCH_IMPORT_CLIENTS clients write for BENCH_IMPORT_MIXED_S seconds, each in turn a customer, a consent and a ban.
 * Suppression's catch-up is not included. With BENCH_IMPORT_JSON=<file> the figures are written there as well.
 *
 *   node -r ts-node/register/transpile-only -r tsconfig-paths/register bench/import.ts
 *   BENCH_IMPORT_LEVELS=10000,100000 BENCH_IMPORT_BATCH=1000 … bench/import.ts
 */
import { performance } from 'node:perf_hooks';
import { writeFileSync } from 'node:fs';
import { importedCustomerId } from '@kielto/contracts';
import { benchRun, SourceUrls, untilSourcesIdle, withSourceServices } from './run-data';

const { run: RUN, staff: STAFF } = benchRun('import');

const LEVELS = (process.env.BENCH_IMPORT_LEVELS ?? process.env.BENCH_IMPORT_N ?? '1000').split(',').map(Number);
const BATCH = Number(process.env.BENCH_IMPORT_BATCH ?? 1000);
const SAMPLES = Number(process.env.BENCH_IMPORT_SAMPLES ?? 100);
const CLIENTS = Number(process.env.BENCH_IMPORT_CLIENTS ?? 16);
const MIXED_S = Number(process.env.BENCH_IMPORT_MIXED_S ?? 60);

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

/** Imports rows `from` ≤ i < `to` in batches of BATCH rows; answers the seconds it took. */
async function timedImport(url: string, from: number, to: number, rowsOf: (i: number) => string[]): Promise<number> {
  const started = performance.now();
  let batch: string[] = [];
  for (let i = from; i < to; i++) {
    batch.push(...rowsOf(i));
    if (batch.length >= BATCH || i === to - 1) {
      await post(url, batch);
      batch = [];
      process.stderr.write(`\r${url.split('/').at(-2)} ${i + 1 - from}/${to - from}`);
    }
  }
  process.stderr.write('\n');
  return (performance.now() - started) / 1000;
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};

async function call(url: string, init?: RequestInit): Promise<unknown> {
  const response = await fetch(url, {
    ...init,
    headers: { authorization: `Bearer ${STAFF}`, 'content-type': 'application/json' },
  });
  const body: unknown = response.status === 204 ? undefined : await response.json();
  if (!response.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: ${response.status} ${JSON.stringify(body)}`);
  return body;
}

interface Figure {
  name: string;
  value: number;
  unit: string;
  level?: number;
}
const figures: Figure[] = [];
function report(figure: Figure): void {
  figures.push(figure);
  console.log(
    `${figure.level !== undefined ? `N=${figure.level} ` : ''}${figure.name}: ${figure.value.toFixed(1)} ${figure.unit}`,
  );
}

let created = 0;
const newCustomer = () => {
  const i = 50_000_000 + created++;
  return {
    kind: 'person',
    name: `New ${i}`,
    emails: [`new${i}@example.fi`],
    phones: [`+35850${String(i % 10_000_000).padStart(7, '0')}`],
  };
};

/** Requests of a kind before its samples, untimed: a fresh process runs a route's first calls cold (JIT, lazy set-up). */
const WARM_UP = Number(process.env.BENCH_IMPORT_WARM_UP ?? 10);

/** Calls `request` for each of `inputs`, one at a time; answers the times of all but the first WARM_UP (untimed). */
async function sample<T>(inputs: T[], request: (input: T) => Promise<void>): Promise<number[]> {
  const times: number[] = [];
  for (const [n, input] of inputs.entries()) {
    const started = performance.now();
    await request(input);
    if (n >= WARM_UP) times.push(performance.now() - started);
  }
  return times;
}

/**
 * One request at a time: creates, lookups of imported customers, and their ledgers; before the reads the services
 * catch up with the creates (their projections are the creates' work, not the reads').
 */
async function hotPaths(level: number, urls: SourceUrls): Promise<void> {
  const latencies = (name: string, values: number[]) => {
    report({ name: `${name} p50`, value: percentile(values, 50), unit: 'ms', level });
    report({ name: `${name} p99`, value: percentile(values, 99), unit: 'ms', level });
  };
  const creates = Array.from({ length: WARM_UP + SAMPLES }, () => newCustomer());
  latencies(
    'POST /v1/customers',
    await sample(creates, async (body) => {
      await call(`${urls.customers}/v1/customers`, { method: 'POST', body: JSON.stringify(body) });
    }),
  );
  await untilSourcesIdle(urls);
  const picks = Array.from({ length: WARM_UP + SAMPLES }, () => Math.floor(Math.random() * level));
  const found = new Map<number, { id: string; customerNumber: string }>();
  latencies(
    'GET /v1/customers?email=',
    await sample(picks, async (i) => {
      const body = await call(`${urls.customers}/v1/customers?email=${encodeURIComponent(`import${i}@example.fi`)}`);
      const [customer] = body as { id: string; customerNumber: string }[];
      if (!customer) throw new Error(`import${i}@example.fi not found`);
      found.set(i, customer);
    }),
  );
  latencies(
    'GET /v1/customers?phone=',
    await sample(picks, async (i) => {
      await call(`${urls.customers}/v1/customers?phone=${encodeURIComponent(`+35840${String(i).padStart(7, '0')}`)}`);
    }),
  );
  const customers = picks.map((i) => found.get(i)!);
  latencies(
    'GET /v1/customers?customerNumber=',
    await sample(customers, async ({ customerNumber }) => {
      await call(`${urls.customers}/v1/customers?customerNumber=${customerNumber}`);
    }),
  );
  latencies(
    'GET /v1/consents?customerId= (3 entries)',
    await sample(customers, async ({ id }) => {
      const body = await call(`${urls.consents}/v1/consents?customerId=${id}`);
      if ((body as { history: unknown[] }).history.length !== 3) throw new Error(`ledger of ${id} is not whole`);
    }),
  );
}

/** CLIENTS clients, each writing in turn a customer, a consent and a ban, for MIXED_S seconds. */
async function mixedWrites(urls: { customers: string; consents: string; bans: string }, level: number): Promise<void> {
  const until = performance.now() + MIXED_S * 1000;
  let writes = 0;
  let failures = 0;
  const client = async (c: number) => {
    for (let k = 0; performance.now() < until; k++) {
      const i = Math.floor(Math.random() * level);
      const write =
        k % 3 === 0
          ? call(`${urls.customers}/v1/customers`, { method: 'POST', body: JSON.stringify(newCustomer()) })
          : k % 3 === 1
            ? call(`${urls.consents}/v1/consents`, {
                method: 'POST',
                body: JSON.stringify({
                  email: `mixed${c}-${k}@example.fi`,
                  channel: 'email',
                  purpose: 'own-marketing',
                  decision: 'withdraw',
                  source: 'bench',
                }),
              })
            : call(`${urls.bans}/v1/directory-bans/${importedCustomerId(`B-${i}`)}`, {
                method: 'PUT',
                body: JSON.stringify({
                  scope: k % 2 === 0 ? 'full' : 'partial',
                  ...(k % 2 === 0 ? {} : { hiddenFields: ['address'] }),
                }),
              });
      await write.then(
        () => writes++,
        () => failures++,
      );
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
  report({ name: `mixed writes, ${CLIENTS} clients, ${MIXED_S} s`, value: writes / MIXED_S, unit: 'writes/s', level });
  if (failures > 0) report({ name: 'mixed writes failed', value: failures, unit: 'requests', level });
}

async function main(): Promise<void> {
  await withSourceServices(
    RUN,
    async (urls) => {
      let imported = 0;
      for (const level of LEVELS) {
        const c = await timedImport(`${urls.customers}/v1/customers/import`, imported, level, (i) => [customer(i)]);
        const e = await timedImport(`${urls.consents}/v1/consents/import`, imported, level, entries);
        // Loaded means projected too: the consents and directory-bans services' views of the new customers, and
        // every event on Kafka. The wait counts in both rates, in proportion to their time.
        const idle = (await untilSourcesIdle(urls)) / 1000;
        report({ name: 'projections caught up after the import', value: idle, unit: 's', level });
        report({
          name: 'import customers',
          value: (level - imported) / (c + (idle * c) / (c + e)),
          unit: 'customers/s',
          level,
        });
        report({
          name: 'import ledger entries',
          value: (3 * (level - imported)) / (e + (idle * e) / (c + e)),
          unit: 'entries/s',
          level,
        });
        imported = level;
        await hotPaths(level, urls);
      }
      if (MIXED_S > 0) {
        await untilSourcesIdle(urls);
        await mixedWrites(urls, imported);
      }
      if (process.env.BENCH_IMPORT_JSON) writeFileSync(process.env.BENCH_IMPORT_JSON, JSON.stringify(figures, null, 2));
    },
    { processes: true },
  );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
