/**
 * Where the memory of an imported register snapshot goes: RSS of one suppression instance before and after a
 * PUT of N phone rows, beside the V8 heap (used, total), external memory and array buffers from its /metrics.
 *
 *   npx nest build suppression && node -r ts-node/register/transpile-only bench/register-rss.ts
 *
 * REGISTER_RSS_ROWS (default 1 000 000); REGISTER_RSS_MAIN another build's main.js; REGISTER_RSS_NODE_ARGS extra
 * node flags for the service. Starts its own suppression on a spare port with a fresh database/topic prefix.
 */
import { readFileSync } from 'node:fs';
import { sleep, startSuppression } from './bench-helpers';

const ROWS = Number(process.env.REGISTER_RSS_ROWS ?? 1_000_000);
const PORT = Number(process.env.REGISTER_RSS_PORT ?? 3872);
const KEY = 'register-rss-staff-key-0123456789';
const url = `http://127.0.0.1:${PORT}`;

function rss(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
}

/** RSS of the brk heap (the main thread's malloc) and of anonymous mappings (V8's pages, other malloc arenas). */
function mappings(pid: number): { brk: number; anonymous: number } {
  let brk = 0;
  let anonymous = 0;
  let current = '';
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) current = head[1];
    else if (line.startsWith('Rss:')) {
      const bytes = Number(/(\d+)/.exec(line)![1]) * 1024;
      if (current === '[heap]') brk += bytes;
      else if (current === '') anonymous += bytes;
    }
  }
  return { brk, anonymous };
}

async function memory(pid: number): Promise<Record<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const read = (name: string) => Number(new RegExp(`^kielto_${name}(?:\\{[^}]*\\})? (\\S+)`, 'm').exec(text)?.[1]);
  return {
    rss: rss(pid),
    ...mappings(pid),
    heapUsed: read('nodejs_heap_size_used_bytes'),
    heapTotal: read('nodejs_heap_size_total_bytes'),
    external: read('nodejs_external_memory_bytes'),
  };
}

async function main(): Promise<void> {
  const child = await startSuppression({
    port: PORT,
    apiKeys: `staff:${KEY}`,
    main: process.env.REGISTER_RSS_MAIN,
    nodeArgs: process.env.REGISTER_RSS_NODE_ARGS,
  });
  const pid = child.pid!;
  try {
    const lines: string[] = new Array<string>(ROWS);
    for (let i = 0; i < ROWS; i++) lines[i] = `{"phone":"+35840${String(1_000_000 + i * 7).padStart(7, '0')}"}`;
    const body = Buffer.from(lines.join('\n') + '\n');
    lines.length = 0;
    await sleep(1000);
    const before = await memory(pid);
    const t0 = Date.now();
    const res = await fetch(`${url}/v1/suppression/registers/asml-phone`, {
      method: 'PUT',
      headers: {
        authorization: `Bearer ${KEY}`,
        'content-type': 'application/x-ndjson',
        'x-register-date': new Date().toISOString().slice(0, 10),
      },
      body,
    });
    const summary = (await res.json()) as { added?: number };
    if (res.status !== 200 || summary.added !== ROWS)
      throw new Error(`import: ${res.status} ${JSON.stringify(summary)}`);
    const seconds = (Date.now() - t0) / 1000;
    for (const wait of [3000, 10_000]) {
      await sleep(wait);
      const after = await memory(pid);
      const perRow = Object.entries(after).map(([k, v]) => `${k} ${((v - before[k]) / ROWS).toFixed(1)}`);
      console.log(`import ${seconds.toFixed(1)} s; +${wait / 1000} s, B/row: ${perRow.join(', ')}`);
    }
  } finally {
    child.kill('SIGTERM');
  }
}

void main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
