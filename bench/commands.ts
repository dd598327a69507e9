/*
 * Database commands per request (issue 20): the three source services started in this process against the shared
 * Kafka and MongoDB/FerretDB (`KAFKA_BROKERS`, `MONGODB_URI`), with their own database and topic prefix (removed at
 * the end). For each kind of request it runs BENCH_COMMANDS_N requests one at a time and prints the commands the
 * last one caused (collection, filter by `_id` only — never a value of personal data: ids and keyed hashes), their
 * count, and the process's CPU per request. Every command costs this process about 0.2-0.5 ms of CPU on the
 * development machine, so the count is what the hot paths' cost follows. Commands of consumers running in this
 * process at the time (the other services projecting the change) are listed too, marked by their database.
 *
 *   node -r ts-node/register/transpile-only -r tsconfig-paths/register bench/commands.ts
 *   BENCH_COMMANDS_N=100 BENCH_COMMANDS_ONLY='GET by e-mail' … bench/commands.ts
 */
import { performance } from 'node:perf_hooks';
import mongoose from 'mongoose';
import { BENCH_SERVERS, benchRun, withSourceServices } from './run-data';

const { run: RUN, staff: STAFF } = benchRun(
  'commands',
  `${BENCH_SERVERS.mongodbUri}${BENCH_SERVERS.mongodbUri.includes('?') ? '&' : '?'}monitorCommands=true`,
);

const N = Number(process.env.BENCH_COMMANDS_N ?? 30);
const ONLY = process.env.BENCH_COMMANDS_ONLY;

interface CommandEvent {
  requestId: number;
  databaseName: string;
  commandName: string;
  command: Record<string, unknown>;
}

let recording: string[] | undefined;
const started = new Map<number, string>();

/** What a command did, by collection and `_id`s only. */
function describe(e: CommandEvent): string {
  const c = e.command;
  const ids = (list: unknown) =>
    Array.isArray(list) ? list.map((x: { q?: { _id?: unknown }; _id?: unknown }) => x.q?._id ?? x._id) : undefined;
  const filter =
    (c.filter as { _id?: unknown } | undefined)?._id ?? ids(c.updates) ?? ids(c.deletes) ?? ids(c.documents);
  const shown =
    Array.isArray(filter) && filter.length > 3 ? `${filter.length} documents` : JSON.stringify(filter ?? '');
  return `${e.databaseName.slice(RUN.length + 1)} ${e.commandName} ${String(c[e.commandName])} ${shown}`;
}

function monitor(): void {
  for (const connection of mongoose.connections) {
    const client = connection.getClient() as unknown as NodeJS.EventEmitter & { monitored?: boolean };
    if (!client || client.monitored) continue;
    client.monitored = true;
    client.on('commandStarted', (e: CommandEvent) => recording && started.set(e.requestId, describe(e)));
    client.on('commandSucceeded', (e: CommandEvent & { duration: number }) => {
      const what = started.get(e.requestId);
      started.delete(e.requestId);
      if (what && recording) recording.push(`${what} (${e.duration.toFixed(1)} ms)`);
    });
  }
}

async function call(url: string, init?: RequestInit): Promise<unknown> {
  const res = await fetch(url, {
    ...init,
    headers: { authorization: `Bearer ${STAFF}`, 'content-type': 'application/json' },
  });
  const body: unknown = res.status === 204 ? undefined : await res.json();
  if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: ${res.status}`);
  return body;
}

async function measure(name: string, request: (i: number) => Promise<unknown>): Promise<void> {
  if (ONLY && !name.includes(ONLY)) return;
  const times: number[] = [];
  const cpu = process.cpuUsage();
  for (let i = 0; i < N; i++) {
    if (i === N - 1) recording = [];
    const t = performance.now();
    await request(i);
    times.push(performance.now() - t);
  }
  // Let the consumers' share of the last request arrive.
  await new Promise((r) => setTimeout(r, 300));
  const used = process.cpuUsage(cpu);
  const commands = recording ?? [];
  recording = undefined;
  times.sort((a, b) => a - b);
  console.log(
    `\n${name}: ${commands.length} commands for the last request; p50 ${times[N >> 1].toFixed(1)} ms,` +
      ` ${((used.user + used.system) / 1000 / N).toFixed(1)} ms CPU per request (all services in this process)`,
  );
  for (const line of commands) console.log(`  ${line}`);
}

async function main(): Promise<void> {
  await withSourceServices(RUN, async (urls) => {
    monitor();
    let n = 0;
    const customer = () => {
      const i = n++;
      return {
        kind: 'person',
        name: `Komento ${i}`,
        emails: [`komento${i}@example.fi`],
        phones: [`+35850${String(1_000_000 + i)}`],
      };
    };
    for (let i = 0; i < 10; i++)
      await call(`${urls.customers}/v1/customers`, { method: 'POST', body: JSON.stringify(customer()) });
    const { id } = ((await call(`${urls.customers}/v1/customers?email=komento3%40example.fi`)) as { id: string }[])[0];
    await measure('POST /v1/customers', () =>
      call(`${urls.customers}/v1/customers`, { method: 'POST', body: JSON.stringify(customer()) }),
    );
    await measure('GET by e-mail', () => call(`${urls.customers}/v1/customers?email=komento3%40example.fi`));
    await measure("a customer's ledger", () => call(`${urls.consents}/v1/consents?customerId=${id}`));
    await measure('POST /v1/consents (a new e-mail)', (i) =>
      call(`${urls.consents}/v1/consents`, {
        method: 'POST',
        body: JSON.stringify({
          email: `uusi${i}@example.fi`,
          channel: 'email',
          purpose: 'own-marketing',
          decision: 'withdraw',
          source: 'bench',
        }),
      }),
    );
    const ndjson = (url: string, rows: unknown[]) =>
      fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${STAFF}`, 'content-type': 'application/x-ndjson' },
        body: rows.map((row) => JSON.stringify(row)).join('\n') + '\n',
      }).then(async (res) => {
        if (!res.ok) throw new Error(`POST ${url}: ${res.status} ${await res.text()}`);
        return res.json();
      });
    const IMPORT_ROWS = Number(process.env.BENCH_COMMANDS_IMPORT_ROWS ?? 1000);
    let batch = 0;
    await measure(`import ${IMPORT_ROWS} customers`, () => {
      const b = batch++;
      return ndjson(
        `${urls.customers}/v1/customers/import`,
        Array.from({ length: IMPORT_ROWS }, (_, i) => ({
          ref: `K-${b}-${i}`,
          kind: 'person',
          name: `Tuonti ${i}`,
          emails: [`tuonti${b}x${i}@example.fi`],
          phones: [`+35844${String(b * IMPORT_ROWS + i).padStart(7, '0')}`],
          activeContract: true,
        })),
      );
    });
    batch = 0;
    await measure(`import ${3 * IMPORT_ROWS} ledger entries`, () => {
      const b = batch++;
      return ndjson(
        `${urls.consents}/v1/consents/import`,
        Array.from({ length: IMPORT_ROWS }, (_, i) =>
          (['grant', 'withdraw', 'grant'] as const).map((decision, k) => ({
            customerRef: `K-${b}-${i}`,
            channel: k === 1 ? 'sms' : 'email',
            purpose: 'own-marketing',
            decision,
            source: 'legacy',
            recordedAt: `201${k}-01-01T10:00:00Z`,
          })),
        ).flat(),
      );
    });
    await measure('PUT /v1/directory-bans/:id', (i) =>
      call(`${urls.bans}/v1/directory-bans/${id}`, {
        method: 'PUT',
        body: JSON.stringify(i % 2 ? { scope: 'full' } : { scope: 'partial', hiddenFields: ['address'] }),
      }),
    );
  });
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
