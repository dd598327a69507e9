/**
 * The NDJSON check stream's cost in CPU time rather than wall time: contacts answered per CPU-second of the
 * suppression process (utime + stime from /proc/<pid>/stat). On a shared machine the wall-clock figure of
 * `npm run bench` moves with the neighbours' load; this one does not (much).
 *
 *   npx nest build suppression && node -r ts-node/register/transpile-only bench/stream-cpu.ts
 *
 * STREAM_CPU_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") is passed to the service's node.
 * STREAM_CPU_SHAPES=email or emailHash runs one of the two line shapes.
 * STREAM_CPU_MAIN points at another build's main.js (e.g. a copy of dist from main) to compare two builds;
 * STREAM_CPU_ROWS (default 1 000 000) and STREAM_CPU_ROUNDS (default 3) size the run. Starts its own suppression on
 * a spare port with a fresh database/topic prefix against the shared infrastructure.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import path from 'node:path';

const root = path.join(__dirname, '..');
const MAIN = process.env.STREAM_CPU_MAIN ?? path.join(root, 'dist/apps/suppression/apps/suppression/src/main.js');
const ROWS = Number(process.env.STREAM_CPU_ROWS ?? 1_000_000);
const ROUNDS = Number(process.env.STREAM_CPU_ROUNDS ?? 3);
const PORT = Number(process.env.STREAM_CPU_PORT ?? 3871);
const KEY = 'stream-cpu-marketing-key-0123456789';
const HASH_KEY = 'bench-partner-hash-key-0123456789abcdef';
const CLOCK_TICK = 100; // USER_HZ on Linux
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICK; // utime, stime (fields 14 and 15)
}

async function start(): Promise<ChildProcess> {
  const prefix = `stream-cpu-${randomBytes(3).toString('hex')}`;
  const nodeArgs = (process.env.STREAM_CPU_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, MAIN], {
    cwd: root,
    env: {
      ...process.env,
      NODE_ENV: 'development',
      LOG_LEVEL: 'warn',
      PORT: String(PORT),
      KIELTO_API_KEYS: `marketing:${KEY}`,
      KIELTO_RATE_LIMIT_PER_MINUTE: '1000000000',
      KIELTO_PARTNER_HASH_KEY: HASH_KEY,
      MONGODB_DB_PREFIX: prefix,
      KAFKA_TOPIC_PREFIX: `${prefix}.`,
      SUPPRESSION_INSTANCE_ID: 'stream-cpu',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (const deadline = Date.now() + 120_000; Date.now() < deadline; await sleep(50)) {
    if (child.exitCode !== null) throw new Error(`suppression exited with ${child.exitCode}`);
    try {
      const res = await fetch(`http://127.0.0.1:${PORT}/health/ready`, { signal: AbortSignal.timeout(1000) });
      if (res.status === 200) return child;
    } catch {
      // not yet
    }
  }
  throw new Error('suppression not ready');
}

/** Streams ROWS lines (10 000 distinct, repeated); the number of answer lines. */
function stream(chunk: Buffer): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const req = httpRequest(
      {
        hostname: '127.0.0.1',
        port: PORT,
        path: '/v1/suppression/check/stream?channel=email&purpose=own-marketing',
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/x-ndjson' },
      },
      (res) => {
        if (res.statusCode !== 200) reject(new Error(`stream answered ${res.statusCode}`));
        let count = 0;
        res.on('data', (d: Buffer) => {
          for (let i = 0; i < d.length; i++) if (d[i] === 10) count++;
        });
        res.on('end', () => resolve(count));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    let sent = 0;
    const write = () => {
      while (sent < ROWS) {
        sent += 10_000;
        if (!req.write(chunk)) return void req.once('drain', write);
      }
      req.end();
    };
    write();
  });
}

async function main(): Promise<void> {
  const child = await start();
  const pid = child.pid!;
  const plain = (i: number) => `stream.${i}@example.org`;
  const shapes: Record<string, (i: number) => Record<string, string>> = {
    email: (i) => ({ email: plain(i) }),
    emailHash: (i) => ({ emailHash: createHmac('sha256', HASH_KEY).update(plain(i)).digest('hex') }),
  };
  try {
    const only = process.env.STREAM_CPU_SHAPES?.split(',');
    for (const [name, contact] of Object.entries(shapes)) {
      if (only && !only.includes(name)) continue;
      const lines: string[] = [];
      for (let i = 0; i < 10_000; i++) lines.push(JSON.stringify({ ref: String(i), ...contact(i) }));
      const chunk = Buffer.from(lines.join('\n') + '\n');
      await stream(chunk); // warm-up
      const rates: string[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        const cpu0 = cpuSeconds(pid);
        const t0 = Date.now();
        const answered = await stream(chunk);
        const wall = (Date.now() - t0) / 1000;
        const cpu = cpuSeconds(pid) - cpu0;
        if (answered !== ROWS) throw new Error(`${answered} answers for ${ROWS} rows`);
        rates.push(`${Math.round(ROWS / cpu)}/cpu-s ${Math.round(ROWS / wall)}/s`);
      }
      console.log(`${name}: ${rates.join('  |  ')}`);
    }
  } finally {
    child.kill('SIGTERM');
  }
}

void main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
