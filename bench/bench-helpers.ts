/** Pieces the bench scripts share: a suppression process of their own, and the NDJSON check stream as a client. */
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import path from 'node:path';

export const root = path.join(__dirname, '..');
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts suppression (`main`, default this checkout's build) on `port` with a fresh database/topic prefix and the given
 * API keys; resolves once it is ready. `nodeArgs`: extra node flags (e.g. --cpu-prof).
 */
export async function startSuppression(options: {
  port: number;
  apiKeys: string;
  main?: string;
  nodeArgs?: string;
  env?: Record<string, string>;
}): Promise<ChildProcess> {
  const prefix = `bench-${randomBytes(3).toString('hex')}`;
  const main = options.main ?? path.join(root, 'dist/apps/suppression/apps/suppression/src/main.js');
  const args = (options.nodeArgs ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...args, main], {
    cwd: root,
    env: {
      ...process.env,
      NODE_ENV: 'development',
      LOG_LEVEL: 'warn',
      PORT: String(options.port),
      KIELTO_API_KEYS: options.apiKeys,
      KIELTO_RATE_LIMIT_PER_MINUTE: '1000000000',
      KIELTO_PARTNER_HASH_KEY: 'bench-partner-hash-key-0123456789abcdef',
      MONGODB_DB_PREFIX: prefix,
      KAFKA_TOPIC_PREFIX: `${prefix}.`,
      SUPPRESSION_INSTANCE_ID: 'bench-helper',
      ...options.env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (const deadline = Date.now() + 120_000; Date.now() < deadline; await sleep(50)) {
    if (child.exitCode !== null) throw new Error(`suppression exited with ${child.exitCode}`);
    try {
      const res = await fetch(`http://127.0.0.1:${options.port}/health/ready`, { signal: AbortSignal.timeout(1000) });
      if (res.status === 200) return child;
    } catch {
      // not yet
    }
  }
  child.kill('SIGTERM');
  throw new Error('suppression not ready');
}

/**
 * POSTs `chunk` (whole NDJSON lines) to the check stream again and again until `rows` lines were sent (`rows` a
 * multiple of the chunk's lines, `linesPerChunk`), and counts the answer lines.
 */
export function streamNdjson(
  suppressionUrl: string,
  key: string,
  chunk: Buffer,
  linesPerChunk: number,
  rows: number,
): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const u = new URL(`${suppressionUrl}/v1/suppression/check/stream?channel=email&purpose=own-marketing`);
    const req = httpRequest(
      {
        hostname: u.hostname,
        port: u.port,
        path: u.pathname + u.search,
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-ndjson' },
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
      while (sent < rows) {
        sent += linesPerChunk;
        if (!req.write(chunk)) return void req.once('drain', write);
      }
      req.end();
    };
    write();
  });
}
