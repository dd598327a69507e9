/**
 * `npm run bench`: measures kielto against docs/CONTRACT.md §6, each figure beside a baseline from the same run where one
 * makes sense, prints a table and writes bench/results.json. Starts Kafka + FerretDB if they are not running,
 * builds once, and starts its own service processes on spare ports with a fresh database/topic prefix.
 */
import 'reflect-metadata';
import autocannon from 'autocannon';
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
// The platform's fix of kafkajs's request-queue timer (a 1 ms timer per connection and Node 24's TimeoutNegativeWarning).
import '../libs/platform/src/kafka/kafkajs-request-queue';
import { MongoClient } from 'mongodb';
import { encodeState, SuppressionState } from '../apps/suppression/src/engine';
import type { SubjectFacts } from '../apps/suppression/src/engine';
import { SnapshotRepository } from '../apps/suppression/src/state/snapshot.repository';
import { streamNdjson } from './bench-helpers';

const root = path.join(__dirname, '..');
const KEY = {
  staff: 'bench-staff-key-0123456789',
  marketing: 'bench-marketing-key-0123456789',
  admin: 'bench-admin-key-0123456789',
};
const HASH_KEY = 'bench-partner-hash-key-0123456789abcdef';
const MONGO = process.env.MONGODB_URI ?? 'mongodb://127.0.0.1:27017/?directConnection=true&retryWrites=false';
const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const QUICK = process.env.BENCH_QUICK === '1';
/** The services' local snapshot copies (SUPPRESSION_SNAPSHOT_DIR): this run's own, removed at the end. */
const SNAPSHOT_DIR = mkdtempSync(path.join(tmpdir(), 'kielto-bench-snapshots-'));
/**
 * BENCH_ONLY=cold,replay runs only those parts (engine, http, cold, replay, registers, sources); results.json is then not
 * written.
 */
const ONLY = process.env.BENCH_ONLY?.split(',');
const part = (name: 'engine' | 'http' | 'cold' | 'replay' | 'registers' | 'sources') => !ONLY || ONLY.includes(name);

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  target: number;
  better: 'higher' | 'lower';
  baseline?: number;
  ratio?: number;
  met: boolean;
  note?: string;
}
const results: BenchResult[] = [];
function record(r: Omit<BenchResult, 'met'> & { met?: boolean }): void {
  const met = r.met ?? (r.better === 'higher' ? r.value >= r.target : r.value <= r.target);
  const full = {
    ...r,
    value: round(r.value, r.unit === 'ratio' ? 3 : 1),
    ...(r.ratio !== undefined ? { ratio: round(r.ratio, 3) } : {}),
    met,
  };
  results.push(full);
  console.log(
    `  ${met ? 'met ' : 'MISS'}  ${r.name}: ${full.value} ${r.unit} (target ${r.better === 'higher' ? '≥' : '≤'} ${r.target})${r.ratio !== undefined ? ` ratio ${full.ratio}` : ''}`,
  );
}
const round = (v: number, digits = 1) => Math.round(v * 10 ** digits) / 10 ** digits;
const hash = (v: string) => createHmac('sha256', HASH_KEY).update(v).digest('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------- processes ----------
interface Proc {
  child: ChildProcess;
  url: string;
  pid: number;
}
const procs: ChildProcess[] = [];

function mainOf(app: string): string {
  return path.join(root, 'dist', 'apps', app, 'apps', app, 'src', 'main.js');
}

async function startService(
  app: string,
  port: number,
  env: Record<string, string>,
  readyPath = '/health/ready',
  timeoutMs = 120_000,
): Promise<Proc & { readyMs: number }> {
  const t0 = Date.now();
  // BENCH_SERVICE_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the services, not the bench.
  const nodeArgs = (process.env.BENCH_SERVICE_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, mainOf(app)], {
    cwd: root,
    env: {
      ...process.env,
      NODE_ENV: 'development',
      LOG_LEVEL: 'warn',
      PORT: String(port),
      KIELTO_API_KEYS: `staff:${KEY.staff},marketing:${KEY.marketing},admin:${KEY.admin}`,
      // Throughput is measured here, not the limits: one key sends far more than any role's budget.
      KIELTO_RATE_LIMIT_PER_MINUTE: '1000000000',
      KIELTO_PARTNER_HASH_KEY: HASH_KEY,
      SUPPRESSION_SNAPSHOT_DIR: SNAPSHOT_DIR,
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  procs.push(child);
  const url = `http://127.0.0.1:${port}`;
  while (Date.now() - t0 < timeoutMs) {
    if (child.exitCode !== null) throw new Error(`${app} exited with ${child.exitCode}`);
    try {
      const res = await fetch(url + readyPath, { signal: AbortSignal.timeout(1000) });
      if (res.status === 200) return { child, url, pid: child.pid!, readyMs: Date.now() - t0 };
    } catch {
      // not yet
    }
    await sleep(20);
  }
  throw new Error(`${app} not ready in ${timeoutMs} ms`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(10_000)]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

/** CPU seconds (user + system) a process has used: a figure the shared machine's load changes far less than time. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  // utime and stime (fields 14 and 15 of proc(5), counted after the command) in clock ticks of 1/100 s.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

async function startBaseline(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', path.join(__dirname, 'baseline-server.ts')],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  procs.push(child);
  const url = await new Promise<string>((resolve) =>
    child.stdout.on('data', (d: Buffer) => {
      const m = /LISTENING (\S+)/.exec(d.toString());
      if (m) resolve(m[1]);
    }),
  );
  return { child, url };
}

// ---------- helpers ----------
async function api(
  url: string,
  method: string,
  body: unknown,
  key = KEY.staff,
): Promise<{ status: number; json: { results: unknown[] } & Record<string, unknown> }> {
  const res = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return {
    status: res.status,
    json: (text ? JSON.parse(text) : {}) as { results: unknown[] } & Record<string, unknown>,
  };
}

function cannon(url: string, headers: Record<string, string>, seconds: number): Promise<autocannon.Result> {
  return autocannon({ url, connections: 50, pipelining: 1, duration: seconds, headers });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

// ---------- benchmarks ----------
function benchEngineInProcess(): void {
  // Loaded from the built code so the figure is that of what runs in production.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the built file, chosen at run time
  const { decide } = require(
    path.join(root, 'dist/apps/suppression/apps/suppression/src/engine/decision-engine.js'),
  ) as typeof import('../apps/suppression/src/engine/decision-engine');
  const now = Date.now();
  const facts: SubjectFacts[] = Array.from({ length: 1000 }, (_, i) => ({
    subject: i % 3 === 0 ? ('person' as const) : ('identifier' as const),
    activeContract: i % 3 === 0,
    ledger:
      i % 2 === 0
        ? [
            {
              channel: 'email' as const,
              purpose: 'all' as const,
              decision: i % 4 === 0 ? ('grant' as const) : ('withdraw' as const),
              at: now - 1000,
              sequence: 1,
            },
          ]
        : [],
    suppressionEntries:
      i % 10 === 0 ? [{ reason: 'bounce' as const, channel: 'email' as const, since: now - 5000 }] : [],
  }));
  const n = QUICK ? 500_000 : 4_000_000;
  let suppressed = 0;
  const query = { channel: 'email' as const, purpose: 'own-marketing' as const };
  for (let i = 0; i < 200_000; i++) decide(facts[i % 1000], query, now); // warm-up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) if (decide(facts[i % 1000], query, now).decision === 'suppress') suppressed++;
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  record({
    name: 'decision engine in-process',
    value: n / seconds,
    unit: 'contacts/s',
    target: 2_000_000,
    better: 'higher',
    note: `${suppressed} suppressed`,
  });
}

async function seedConsents(consentsUrl: string, count: number): Promise<string[]> {
  const emails: string[] = [];
  for (let i = 0; i < count; i += 20) {
    await Promise.all(
      Array.from({ length: Math.min(20, count - i) }, async (_, j) => {
        const email = `bench.${i + j}.${randomBytes(3).toString('hex')}@example.fi`;
        emails.push(email);
        const decision = (i + j) % 3 === 0 ? 'prohibit' : 'grant';
        const r = await api(`${consentsUrl}/v1/consents`, 'POST', {
          email,
          channel: 'email',
          purpose: 'all',
          decision,
          source: 'bench',
        });
        if (r.status !== 201) throw new Error(`seed consent failed ${r.status}`);
      }),
    );
  }
  return emails;
}

async function benchSingleCheck(suppressionUrl: string, email: string): Promise<void> {
  const seconds = QUICK ? 3 : 10;
  const baseline = await startBaseline();
  const query = `/v1/suppression/check?channel=email&purpose=own-marketing&email=${encodeURIComponent(email)}`;
  await cannon(baseline.url + query, {}, 1); // warm-up
  const base = await cannon(baseline.url + query, {}, seconds);
  await stop(baseline.child);
  const headers = { authorization: `Bearer ${KEY.marketing}` };
  await cannon(suppressionUrl + query, headers, 2); // warm-up (JIT)
  const ours = await cannon(suppressionUrl + query, headers, seconds);
  if (ours.non2xx > 0) console.log(`  note: ${ours.non2xx} non-2xx answers during the single-check run`);
  record({
    name: 'single check over HTTP',
    value: ours.requests.average,
    unit: 'req/s',
    target: 15_000,
    better: 'higher',
    baseline: base.requests.average,
    ratio: ours.requests.average / base.requests.average,
  });
  record({
    name: 'single check over HTTP vs bare Fastify',
    value: ours.requests.average / base.requests.average,
    unit: 'ratio',
    target: 0.8,
    better: 'higher',
  });
  record({
    name: 'single check p99 latency',
    value: ours.latency.p99,
    unit: 'ms',
    target: 10,
    better: 'lower',
    baseline: base.latency.p99,
  });
}

async function benchBulk(suppressionUrl: string, emails: string[]): Promise<void> {
  const contacts = Array.from({ length: 10_000 }, (_, i) => ({
    ref: String(i),
    email: i % 5 === 0 ? emails[i % emails.length] : `bulk.${i}@example.org`,
  }));
  const body = { channel: 'email', purpose: 'own-marketing', contacts };
  const rounds = QUICK ? 4 : 20;
  // A campaign tool builds its request body once and keeps one request in flight while it reads the previous
  // answer: two concurrent senders, the body serialised once (the client's JSON.stringify is not the server's cost).
  const json = JSON.stringify(body);
  const post = async () => {
    const res = await fetch(`${suppressionUrl}/v1/suppression/check`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY.marketing}`, 'content-type': 'application/json' },
      body: json,
    });
    const answer = (await res.json()) as { results: unknown[] };
    if (res.status !== 200 || answer.results.length !== 10_000) throw new Error(`bulk check failed: ${res.status}`);
  };
  await post();
  const t0 = Date.now();
  let sent = 0;
  const sender = async () => {
    while (sent < rounds) {
      sent++;
      await post();
    }
  };
  await Promise.all([sender(), sender()]);
  const perSecond = (rounds * 10_000) / ((Date.now() - t0) / 1000);
  record({
    name: 'bulk check POST (10 000 per request)',
    value: perSecond,
    unit: 'contacts/s',
    target: 200_000,
    better: 'higher',
    note: '2 requests in flight',
  });

  const rows = QUICK ? 200_000 : 1_000_000;
  const plain = (i: number) => (i % 5 === 0 ? emails[i % emails.length] : `stream.${i}@example.org`);
  const streamed = await streamCheck(suppressionUrl, rows, (i) => ({ email: plain(i) }));
  record({
    name: 'bulk check NDJSON stream',
    value: streamed.rate,
    unit: 'contacts/s',
    target: 400_000,
    better: 'higher',
    note: `${streamed.answered} lines answered for ${rows} rows`,
  });
  // The same contacts as keyed hashes (emailHash): no HMAC per contact, which is what bounds the figure above.
  const hashed = await streamCheck(suppressionUrl, rows, (i) => ({ emailHash: hash(plain(i)) }));
  record({
    name: 'bulk check NDJSON stream, hashed identifiers',
    value: hashed.rate,
    unit: 'contacts/s',
    target: 400_000,
    better: 'higher',
    note: `${hashed.answered} lines answered for ${rows} rows (emailHash, no HMAC on the server)`,
  });
}

/** Streams `rows` NDJSON contacts (10 000 distinct lines, repeated) and reads the answers; contacts per second. */
async function streamCheck(
  suppressionUrl: string,
  rows: number,
  contact: (i: number) => Record<string, string>,
): Promise<{ rate: number; answered: number }> {
  const lines: string[] = [];
  for (let i = 0; i < 10_000; i++) lines.push(JSON.stringify({ ref: String(i), ...contact(i) }));
  const chunk = Buffer.from(lines.join('\n') + '\n');
  const t1 = Date.now();
  const answered = await streamNdjson(suppressionUrl, KEY.marketing, chunk, 10_000, rows);
  return { rate: rows / ((Date.now() - t1) / 1000), answered };
}

/**
 * Writes consents at `perSecond` (several in flight, paced by a clock) until `stop()` resolves; returns how many
 * were written and how many failed.
 */
function backgroundWrites(consentsUrl: string, perSecond: number): { stop: () => Promise<string> } {
  let running = true;
  let written = 0;
  let failed = 0;
  const t0 = performance.now();
  const worker = async (w: number, workers: number) => {
    for (let i = w; running; i += workers) {
      const due = t0 + (i * 1000) / perSecond;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      if (!running) break;
      const r = await api(`${consentsUrl}/v1/consents`, 'POST', {
        email: `beside.${i}.${randomBytes(3).toString('hex')}@example.fi`,
        channel: 'email',
        purpose: 'all',
        decision: i % 2 === 0 ? 'grant' : 'withdraw',
        source: 'bench',
      }).catch(() => ({ status: 0 }));
      if (r.status === 201) written++;
      else failed++;
    }
  };
  const workers = Array.from({ length: 32 }, (_, w) => worker(w, 32));
  return {
    stop: async () => {
      running = false;
      await Promise.all(workers);
      const seconds = (performance.now() - t0) / 1000;
      return `${Math.round(written / seconds)} writes/s beside it${failed > 0 ? ` (${failed} failed)` : ''}`;
    },
  };
}

async function benchPropagation(consentsUrl: string, suppressionUrl: string): Promise<void> {
  const samples: number[] = [];
  const n = QUICK ? 50 : 200;
  const beside = backgroundWrites(consentsUrl, 200);
  for (let i = 0; i < n; i++) {
    const email = `prop.${i}.${randomBytes(4).toString('hex')}@example.fi`;
    const checkUrl = `${suppressionUrl}/v1/suppression/check?channel=email&purpose=own-marketing&email=${encodeURIComponent(email)}`;
    const r = await api(`${consentsUrl}/v1/consents`, 'POST', {
      email,
      channel: 'all',
      purpose: 'all',
      decision: 'prohibit',
      source: 'bench',
    });
    const t201 = performance.now();
    if (r.status !== 201) throw new Error(`prohibit failed ${r.status}`);
    for (;;) {
      const c = await fetch(checkUrl, { headers: { authorization: `Bearer ${KEY.marketing}` } });
      const body = (await c.json()) as { reasons?: { code: string }[] };
      if (body.reasons?.some((x) => x.code === 'prohibited')) break;
      if (performance.now() - t201 > 10_000) throw new Error('propagation took over 10 s');
    }
    samples.push(performance.now() - t201);
  }
  const load = await beside.stop();
  samples.sort((a, b) => a - b);
  record({ name: 'opt-out propagation p50', value: percentile(samples, 50), unit: 'ms', target: 100, better: 'lower' });
  record({
    name: 'opt-out propagation p99',
    value: percentile(samples, 99),
    unit: 'ms',
    target: 50,
    better: 'lower',
    note: `${n} samples, ${load}`,
  });
}

async function benchColdStart(port: number): Promise<number> {
  // Seeded directly: the index is built in this process and stored as the instance's snapshot, exactly as the
  // service writes it; the service then starts cold from it.
  const identifiers = QUICK ? 100_000 : 1_000_000;
  const prefix = `bench-cold-${randomBytes(3).toString('hex')}`;
  const client = await MongoClient.connect(MONGO);
  const db = client.db(`${prefix}-suppression`);
  const t0 = Date.now();
  {
    // Half the identifiers belong to customers (two each), half are bare e-mails with a ledger entry.
    const state = new SuppressionState();
    const customers = identifiers / 4;
    for (let i = 0; i < customers; i++) {
      state.applyCustomer({
        customerId: randomUUID(),
        sequence: 1,
        kind: 'person',
        since: Date.now(),
        activeContract: true,
        mobileSubscription: i % 2 === 0,
        contactPoints: [
          { kind: 'email', hash: hash(`c${i}@example.fi`), owner: 'own', from: 0 },
          { kind: 'phone', hash: hash(`+35840${String(i).padStart(7, '0')}`), owner: 'own', from: 0 },
        ],
        formerContactPoints: [],
      });
    }
    for (let i = 0; i < identifiers / 2; i++) {
      state.applyLedgerEntry({
        subjectKey: `email:${hash(`bare${i}@example.org`)}`,
        sequence: 1,
        channel: 'all',
        purpose: 'all',
        decision: 'withdraw',
        at: Date.now(),
      });
    }
    const chunks = await encodeState(state);
    await new SnapshotRepository(db.collection('snapshots'), 'cold').write(chunks, []);
    console.log(
      `  seeded ${state.identifierCount} identifiers (${chunks.length} snapshot chunks, ${Math.round(chunks.reduce((n, c) => n + c.data.length, 0) / 1e6)} MB) in ${Date.now() - t0} ms`,
    );
  }
  await client.close();

  const env = { MONGODB_DB_PREFIX: prefix, KAFKA_TOPIC_PREFIX: `${prefix}.`, SUPPRESSION_INSTANCE_ID: 'cold' };
  const { readyMs: emptyReady, rss: emptyRss } = await emptyStart(port);
  // The first start on a host reads the snapshot from the database (and keeps a copy on local disk); a restart
  // reads that copy. The restart is the figure; the first start is shown beside it.
  const first = await startService('suppression', port, env);
  await stop(first.child);
  const loaded = await startService('suppression', port, env);
  await sleep(1000);
  const loadedRss = rssBytes(loaded.pid);
  await stop(loaded.child);
  const scale = 1_000_000 / identifiers;
  const extrapolated = (readyMs: number) => (emptyReady + (readyMs - emptyReady) * scale) / 1000;
  const how =
    scale > 1
      ? `measured with ${identifiers} identifiers, load time extrapolated linearly`
      : `${identifiers} identifiers`;
  record({
    name: 'cold start with 1 000 000 identifiers: time to ready',
    value: extrapolated(loaded.readyMs),
    unit: 's',
    target: 5,
    better: 'lower',
    baseline: emptyReady / 1000,
    note: `a restart: snapshot from the instance's local copy (${loaded.readyMs} ms; ${how})`,
  });
  record({
    name: 'cold start, first on a host (snapshot from the database)',
    value: extrapolated(first.readyMs),
    unit: 's',
    target: 20,
    better: 'lower',
    baseline: emptyReady / 1000,
    note: `${first.readyMs} ms; ${how}`,
  });
  record({
    name: 'cold start: RSS per identifier',
    value: (loadedRss - emptyRss) / identifiers,
    unit: 'bytes',
    target: 300,
    better: 'lower',
    baseline: emptyRss,
  });
  return emptyReady;
}

/**
 * A full snapshot of the ASML phone register (docs/CONTRACT.md §3.9): the PUT's time for a million distinct numbers
 * (read, normalised, hashed, diffed against an empty register, written as change events), and suppression's RSS
 * growth per row once every instance-local change is applied. BENCH_REGISTER_ROWS overrides the row count.
 */
async function benchRegisters(port: number): Promise<void> {
  const rows = Number(process.env.BENCH_REGISTER_ROWS ?? (QUICK ? 100_000 : 1_000_000));
  const prefix = `bench-registers-${randomBytes(3).toString('hex')}`;
  const suppression = await startService('suppression', port, {
    MONGODB_DB_PREFIX: prefix,
    KAFKA_TOPIC_PREFIX: `${prefix}.`,
    SUPPRESSION_INSTANCE_ID: 'registers',
  });
  const lines: string[] = new Array<string>(rows);
  for (let i = 0; i < rows; i++) lines[i] = `{"phone":"+35840${String(1_000_000 + i * 7).padStart(7, '0')}"}`;
  const body = Buffer.from(lines.join('\n') + '\n');
  lines.length = 0;
  await sleep(1000);
  const before = rssBytes(suppression.pid);
  const t0 = Date.now();
  const res = await fetch(`${suppression.url}/v1/suppression/registers/asml-phone`, {
    method: 'PUT',
    headers: {
      authorization: `Bearer ${KEY.staff}`,
      'content-type': 'application/x-ndjson',
      'x-register-date': new Date().toISOString().slice(0, 10),
    },
    body,
  });
  const summary = (await res.json()) as { added?: number };
  const seconds = (Date.now() - t0) / 1000;
  if (res.status !== 200 || summary.added !== rows)
    throw new Error(`register import: ${res.status} ${JSON.stringify(summary)}`);
  // Every change is applied locally before the PUT answers; give the collector a moment before reading RSS.
  await sleep(3000);
  const perRow = (rssBytes(suppression.pid) - before) / rows;
  await stop(suppression.child);
  record({
    name: `register snapshot import (${rows} rows)`,
    value: seconds,
    unit: 's',
    target: (60 * rows) / 1_000_000,
    better: 'lower',
    note: `${Math.round(rows / seconds)} rows/s, ${(body.length / 1e6).toFixed(1)} MB NDJSON; target scaled from 60 s per 1 000 000 rows`,
  });
  record({ name: 'register RSS growth per row', value: perRow, unit: 'B', target: 300, better: 'lower' });
}

/** Suppression on an empty store and empty topics: its time to ready and RSS are what cold start and replay are measured beside. */
async function emptyStart(port: number): Promise<{ readyMs: number; rss: number; cpu: number }> {
  const prefix = `bench-empty-${randomBytes(3).toString('hex')}`;
  const empty = await startService('suppression', port, {
    MONGODB_DB_PREFIX: prefix,
    KAFKA_TOPIC_PREFIX: `${prefix}.`,
    SUPPRESSION_INSTANCE_ID: 'empty',
  });
  const cpu = cpuSeconds(empty.pid);
  await sleep(1000);
  const rss = rssBytes(empty.pid);
  await stop(empty.child);
  return { readyMs: empty.readyMs, rss, cpu };
}

async function benchReplay(port: number, emptyReady: number | undefined): Promise<void> {
  const empty = emptyReady === undefined ? await emptyStart(port) : undefined;
  const emptyReadyMs = emptyReady ?? empty!.readyMs;
  const events = QUICK ? 20_000 : 200_000;
  const prefix = `bench-replay-${randomBytes(3).toString('hex')}`;
  const kafka = new Kafka({ clientId: 'bench', brokers: BROKERS, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const topics = [
    'kielto.customers.v1',
    'kielto.consents.v1',
    'kielto.directory-bans.v1',
    'kielto.suppression.v1',
    'kielto.dlq.v1',
    'kielto.suppression-entries.v1',
  ];
  await admin.createTopics({
    topics: topics.map((t) => ({ topic: `${prefix}.${t}`, numPartitions: t.includes('dlq') ? 1 : 3 })),
    waitForLeaders: true,
  });
  await admin.disconnect();
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const t0 = Date.now();
  // Batches stay under the broker's 1 MiB message-batch limit.
  for (let i = 0; i < events; i += 1_000) {
    const messages = Array.from({ length: Math.min(1_000, events - i) }, (_, j) => {
      const key = `email:${hash(`replay${(i + j) % (events / 2)}@example.org`)}`;
      const sequence = i + j < events / 2 ? 1 : 2;
      const value = {
        specversion: '1.0',
        id: randomUUID(),
        source: '/kielto/consents',
        type: 'fi.kielto.consent.recorded.v1',
        subject: key,
        time: new Date().toISOString(),
        datacontenttype: 'application/json',
        sequence,
        data: {
          entryId: randomUUID(),
          subject: { type: 'email', key: key.slice(6) },
          channel: 'email',
          purpose: 'all',
          decision: sequence === 1 ? 'grant' : 'withdraw',
          recordedAt: new Date().toISOString(),
          source: 'bench',
          sequence,
        },
      };
      return { key, value: JSON.stringify(value) };
    });
    await producer.send({ topic: `${prefix}.kielto.consents.v1`, messages });
  }
  await producer.disconnect();
  console.log(`  produced ${events} events in ${Date.now() - t0} ms`);
  const replay = await startService(
    'suppression',
    port,
    { MONGODB_DB_PREFIX: prefix, KAFKA_TOPIC_PREFIX: `${prefix}.`, SUPPRESSION_INSTANCE_ID: 'replay' },
    '/health/ready',
    300_000,
  );
  const cpu = cpuSeconds(replay.pid);
  await stop(replay.child);
  const seconds = Math.max(0.001, (replay.readyMs - emptyReadyMs) / 1000);
  console.log(`  replay used ${cpu} s of CPU to ready${empty ? `, an empty start ${empty.cpu} s` : ''}`);
  record({
    name: 'replay of all topics into an empty store',
    value: events / seconds,
    unit: 'events/s',
    target: 50_000,
    better: 'higher',
    note: `${events} events, ready after ${replay.readyMs} ms (empty start ${emptyReadyMs} ms); CPU ${cpu} s${empty ? ` (empty start ${empty.cpu} s)` : ''}`,
  });
}

/**
 * The source services at scale (issue 20), by bench/import.ts in a child process: the register loaded through the
 * bulk routes up to 10 000 and then 100 000 customers (three ledger entries each), the hot paths measured at each
 * size, then mixed writes of 16 clients for 60 s. The load of 1 000 000 customers and 3 000 000 entries is projected
 * from the rates of the larger level (suppression's catch-up is not included).
 */
function benchSources(): void {
  const levels = QUICK ? [1000, 10_000] : [10_000, 100_000];
  const out = path.join(mkdtempSync(path.join(tmpdir(), 'kielto-bench-sources-')), 'figures.json');
  execFileSync(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', path.join(__dirname, 'import.ts')],
    {
      cwd: root,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: {
        ...process.env,
        BENCH_IMPORT_LEVELS: levels.join(','),
        BENCH_IMPORT_MIXED_S: QUICK ? '10' : '60',
        BENCH_IMPORT_JSON: out,
      },
    },
  );
  const figures = JSON.parse(readFileSync(out, 'utf8')) as {
    name: string;
    value: number;
    unit: string;
    level?: number;
  }[];
  rmSync(path.dirname(out), { recursive: true, force: true });
  const at = (name: string, level = levels.at(-1)) =>
    figures.find((f) => f.name === name && (f.level === level || f.name.startsWith('mixed')))?.value ?? NaN;
  const customers = at('import customers');
  const entries = at('import ledger entries');
  record({
    name: 'import 1 000 000 customers + 3 000 000 entries (projected)',
    value: (1_000_000 / customers + 3_000_000 / entries) / 60,
    unit: 'min',
    target: 15,
    better: 'lower',
    note: `${Math.round(customers)} customers/s, ${Math.round(entries)} entries/s at ${levels.at(-1)}; suppression catch-up not included`,
  });
  for (const level of levels) {
    const note = `${level} customers`;
    record({
      name: `POST /v1/customers p50 @${level}`,
      value: at('POST /v1/customers p50', level),
      unit: 'ms',
      target: 20,
      better: 'lower',
      note,
    });
    record({
      name: `POST /v1/customers p99 @${level}`,
      value: at('POST /v1/customers p99', level),
      unit: 'ms',
      target: 100,
      better: 'lower',
      note,
    });
    for (const lookup of ['email', 'phone', 'customerNumber'])
      record({
        name: `GET /v1/customers?${lookup}= p99 @${level}`,
        value: at(`GET /v1/customers?${lookup}= p99`, level),
        unit: 'ms',
        target: 20,
        better: 'lower',
        note,
      });
    record({
      name: `a subject's ledger p99 @${level}`,
      value: at('GET /v1/consents?customerId= (3 entries) p99', level),
      unit: 'ms',
      target: 20,
      better: 'lower',
      note,
    });
  }
  const mixed = figures.find((f) => f.name.startsWith('mixed writes,'));
  record({
    name: 'mixed writes (customers + consents + bans), 16 clients',
    value: mixed?.value ?? NaN,
    unit: 'writes/s',
    target: 500,
    better: 'higher',
    note: mixed?.name,
  });
}

async function main(): Promise<void> {
  console.log(
    `kielto bench — ${new Date().toISOString()} — node ${process.version}, ${cpus().length} cores${QUICK ? ' (quick)' : ''}`,
  );
  execFileSync('bash', [path.join(root, 'scripts/infra.sh'), 'up'], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (process.env.KIELTO_SKIP_BUILD !== '1')
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });

  if (part('engine')) {
    console.log('\n[in-process]');
    benchEngineInProcess();
  }

  if (part('http')) {
    const prefix = `bench-${randomBytes(3).toString('hex')}`;
    const env = { MONGODB_DB_PREFIX: prefix, KAFKA_TOPIC_PREFIX: `${prefix}.`, SUPPRESSION_INSTANCE_ID: 'bench' };
    console.log('\n[starting consents and suppression]');
    const consents = await startService('consents', 3802, env, '/health/live');
    const suppression = await startService('suppression', 3804, env);
    const emails = await seedConsents(consents.url, QUICK ? 60 : 300);

    console.log('\n[single check]');
    await benchSingleCheck(suppression.url, emails[1]);
    console.log('\n[bulk]');
    await benchBulk(suppression.url, emails);
    console.log('\n[propagation]');
    await benchPropagation(consents.url, suppression.url);
    await stop(suppression.child);
    await stop(consents.child);
  }

  let emptyReady: number | undefined;
  // The first service start after Kafka comes up waits for its group coordinator to load: when the HTTP part has
  // not done that already, a throwaway start keeps it out of the baselines.
  if (!part('http') && (part('cold') || part('replay'))) await emptyStart(3805);
  if (part('cold')) {
    console.log('\n[cold start]');
    emptyReady = await benchColdStart(3805);
  }
  if (part('replay')) {
    console.log('\n[replay]');
    await benchReplay(3806, emptyReady);
  }

  if (part('registers')) {
    console.log('\n[registers]');
    await benchRegisters(3807);
  }

  if (part('sources')) {
    console.log('\n[sources]');
    benchSources();
  }

  if (!ONLY) writeFileSync(path.join(__dirname, 'results.json'), JSON.stringify(results, null, 2) + '\n');
  console.log('\n' + table());
  console.log(
    `\n${ONLY ? '' : 'wrote bench/results.json — '}${results.filter((r) => r.met).length}/${results.length} targets met`,
  );
}

function table(): string {
  const rows = [
    ['figure', 'value', 'unit', 'target', 'baseline', 'ratio', 'met'],
    ...results.map((r) => [
      r.name,
      String(r.value),
      r.unit,
      `${r.better === 'higher' ? '≥' : '≤'} ${r.target}`,
      r.baseline === undefined ? '' : String(round(r.baseline)),
      r.ratio === undefined ? '' : String(r.ratio),
      r.met ? 'yes' : 'NO',
    ]),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  return rows.map((row) => row.map((c, i) => c.padEnd(widths[i])).join('  ')).join('\n');
}

main()
  .catch((error) => {
    console.error('bench failed:', error);
    process.exitCode = 1;
  })
  .finally(async () => {
    await Promise.all(procs.map((p) => stop(p)));
    rmSync(SNAPSHOT_DIR, { recursive: true, force: true });
  });
