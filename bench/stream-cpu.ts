/**
 * The NDJSON check stream's cost in CPU time rather than wall time: contacts answered per CPU-second of the
 * suppression process (utime + stime from /proc/<pid>/stat). On a shared machine the wall-clock figure of
 * `npm run bench` moves with the neighbours' load; this one moves less.
 *
 *   npx nest build suppression && node -r ts-node/register/transpile-only bench/stream-cpu.ts
 *
 * STREAM_CPU_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") is passed to the service's node.
 * STREAM_CPU_SHAPES=email or emailHash runs one of the two line shapes.
 * STREAM_CPU_MAIN points at another build's main.js (e.g. a copy of dist from main, kept inside the checkout so that
 * node_modules resolve) to compare two builds; STREAM_CPU_ROWS (default 1 000 000) and STREAM_CPU_ROUNDS (default 3)
 * size the run. Starts its own suppression on a spare port with a fresh database/topic prefix.
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { startSuppression, streamNdjson } from './bench-helpers';

const ROWS = Number(process.env.STREAM_CPU_ROWS ?? 1_000_000);
const ROUNDS = Number(process.env.STREAM_CPU_ROUNDS ?? 3);
const PORT = Number(process.env.STREAM_CPU_PORT ?? 3871);
const KEY = 'stream-cpu-marketing-key-0123456789';
const HASH_KEY = 'bench-partner-hash-key-0123456789abcdef';
const CLOCK_TICK = 100; // USER_HZ on Linux

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICK; // utime, stime (fields 14 and 15)
}

async function main(): Promise<void> {
  const child = await startSuppression({
    port: PORT,
    apiKeys: `marketing:${KEY}`,
    main: process.env.STREAM_CPU_MAIN,
    nodeArgs: process.env.STREAM_CPU_NODE_ARGS,
  });
  const url = `http://127.0.0.1:${PORT}`;
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
      await streamNdjson(url, KEY, chunk, 10_000, ROWS); // warm-up
      const rates: string[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        const cpu0 = cpuSeconds(child.pid!);
        const t0 = Date.now();
        const answered = await streamNdjson(url, KEY, chunk, 10_000, ROWS);
        const wall = (Date.now() - t0) / 1000;
        const cpu = cpuSeconds(child.pid!) - cpu0;
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
