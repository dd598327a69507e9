import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { API_KEYS_SETTING, UNLIMITED_ACCESS, KEYS, PARTNER_HASH_KEY, ServiceName } from './stack';

const root = path.join(__dirname, '..', '..');

export interface ServiceProcesses {
  urls: Record<ServiceName, string>;
  /** Everything the services wrote to stdout and stderr, line by line. */
  output: string[];
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/**
 * Starts services as separate Node processes from the TypeScript sources (no build needed), capturing their
 * output, with the same isolation (database and topic prefix) as the in-process stack.
 */
export async function startProcesses(
  services: ServiceName[],
  prefix: string,
  env: Record<string, string> = {},
): Promise<ServiceProcesses> {
  const ports = Object.fromEntries(await Promise.all(services.map(async (s) => [s, await freePort()] as const)));
  const urls = Object.fromEntries(services.map((s) => [s, `http://127.0.0.1:${ports[s]}`])) as Record<
    ServiceName,
    string
  >;
  const output: string[] = [];
  const children: ChildProcess[] = [];
  const common = {
    ...process.env,
    NODE_ENV: 'test',
    MONGODB_DB_PREFIX: prefix,
    KAFKA_TOPIC_PREFIX: `${prefix}.`,
    KIELTO_API_KEYS: API_KEYS_SETTING,
    KIELTO_SERVICE_KEY: KEYS.admin,
    ...UNLIMITED_ACCESS,
    KIELTO_PARTNER_HASH_KEY: PARTNER_HASH_KEY,
    SUPPRESSION_INSTANCE_ID: `${prefix}-p`,
    CUSTOMERS_URL: urls.customers ?? '',
    CONSENTS_URL: urls.consents ?? '',
    DIRECTORY_BANS_URL: urls['directory-bans'] ?? '',
    SUPPRESSION_URL: urls.suppression ?? '',
    ...env,
  };
  for (const service of services) {
    const child = spawn(
      process.execPath,
      [
        '-r',
        'ts-node/register/transpile-only',
        '-r',
        'tsconfig-paths/register',
        path.join(root, 'apps', service, 'src', 'main.ts'),
      ],
      {
        cwd: root,
        env: { ...common, PORT: String(ports[service]), TS_NODE_PROJECT: path.join(root, 'tsconfig.json') },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    for (const stream of [child.stdout, child.stderr]) {
      let rest = '';
      stream.on('data', (chunk: Buffer) => {
        const lines = (rest + chunk.toString('utf8')).split('\n');
        rest = lines.pop() ?? '';
        output.push(...lines.map((l) => `${service}: ${l}`));
      });
    }
    children.push(child);
  }
  const deadline = Date.now() + 120_000;
  for (const service of services) {
    for (;;) {
      try {
        const res = await fetch(`${urls[service]}/health/ready`, { signal: AbortSignal.timeout(2000) });
        if (res.status === 200) break;
      } catch {
        // starting
      }
      if (Date.now() > deadline) {
        // Nothing is left running for the next test (the caller gets no handle to stop them).
        for (const child of children) child.kill('SIGKILL');
        throw new Error(`${service} did not become ready:\n${output.slice(-30).join('\n')}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return {
    urls,
    output,
    async stop() {
      await Promise.all(
        children.map(
          (child) =>
            new Promise<void>((resolve) => {
              if (child.exitCode !== null) return resolve();
              child.once('exit', () => resolve());
              child.kill('SIGTERM');
              setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
            }),
        ),
      );
    },
  };
}
