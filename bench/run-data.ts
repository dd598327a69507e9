import type { ServiceApp } from '@kielto/platform';
import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Kafka, logLevel } from 'kafkajs';
import { MongoClient } from 'mongodb';
// The platform's fix of kafkajs's request-queue timer (a 1 ms timer per connection and Node 24's TimeoutNegativeWarning).
import '../libs/platform/src/kafka/kafkajs-request-queue';

/** The servers a bench run uses: the running (or `infra.sh`-started) Kafka and MongoDB/FerretDB. */
export const BENCH_SERVERS = {
  mongodbUri: process.env.MONGODB_URI ?? 'mongodb://127.0.0.1:27017/?directConnection=true&retryWrites=false',
  kafkaBrokers: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
};

/**
 * A bench run of source services started in its own process: its database and topic prefix, a staff and an admin
 * key, no rate limit. Sets the environment the services read at start (before they are imported) and answers the
 * run's name (`bench-<kind>-<time>`) and staff key.
 */
export function benchRun(kind: string, mongodbUri = BENCH_SERVERS.mongodbUri): { run: string; staff: string } {
  const run = `bench-${kind}-${Date.now().toString(36)}`;
  const staff = `bench-${kind}-staff-key`;
  Object.assign(process.env, {
    MONGODB_URI: mongodbUri,
    KAFKA_BROKERS: BENCH_SERVERS.kafkaBrokers,
    MONGODB_DB_PREFIX: run,
    KAFKA_TOPIC_PREFIX: `${run}.`,
    KIELTO_API_KEYS: `staff:${staff},admin:bench-${kind}-admin-key`,
    KIELTO_SERVICE_KEY: `bench-${kind}-admin-key`,
    KIELTO_RATE_LIMIT_PER_MINUTE: '100000000',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  });
  return { run, staff };
}

/**
 * Removes what a bench run made on the shared servers: the databases `<run>-<service>` of the services named and the
 * topics `<run>.*` (FerretDB slows down as databases pile up; topics would be replayed by a later run).
 */
export async function dropRunData(run: string, services: readonly string[], servers = BENCH_SERVERS): Promise<void> {
  const client = await MongoClient.connect(servers.mongodbUri);
  try {
    for (const service of services) await client.db(`${run}-${service}`).dropDatabase();
  } finally {
    await client.close();
  }
  const admin = new Kafka({ brokers: servers.kafkaBrokers.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${run}.`));
    if (topics.length > 0) await admin.deleteTopics({ topics });
  } finally {
    await admin.disconnect();
  }
}

/** The three source services' base URLs while `work` runs. */
export interface SourceUrls {
  customers: string;
  consents: string;
  bans: string;
}

const SOURCE_SERVICES = ['consents', 'directory-bans', 'customers'] as const;

/**
 * Runs `work` against the three source services on spare ports (consents and directory-bans first: they consume what
 * customers publish), then stops them and removes the run's data. By default they start in this process (so that a
 * bench can watch their database commands); with `processes` each runs in a Node process of its own, as in
 * production, so that their consumers, the outbox relays and the bench's own client do not share one event loop.
 */
export async function withSourceServices(
  run: string,
  work: (urls: SourceUrls) => Promise<void>,
  options: { processes?: boolean } = {},
): Promise<void> {
  const apps: ServiceApp[] = [];
  const children: ChildProcess[] = [];
  try {
    const urls: string[] = [];
    if (options.processes) {
      children.push(...SOURCE_SERVICES.map((name) => spawnService(name)));
      urls.push(...(await Promise.all(children.map((child, i) => listeningUrl(child, SOURCE_SERVICES[i])))));
    } else {
      for (const name of SOURCE_SERVICES) {
        const { start } = (await import(`../apps/${name}/src/service`)) as {
          start(port?: number): Promise<ServiceApp>;
        };
        const app = await start(0);
        apps.push(app);
        urls.push(app.url);
      }
    }
    const [consents, bans, customers] = urls;
    await work({ customers, consents, bans });
  } finally {
    for (const app of apps.reverse()) await app.app.close();
    await Promise.all(
      children.map(async (child) => {
        if (child.exitCode !== null) return;
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        await exited;
      }),
    );
    await dropRunData(run, SOURCE_SERVICES);
  }
}

/** A source service in a Node process of its own, on a port the system picks, with this process's environment. */
function spawnService(name: string): ChildProcess {
  const root = path.join(__dirname, '..');
  return spawn(
    process.execPath,
    [
      ...(process.env.BENCH_SERVICE_NODE_ARGS ?? '').split(' ').filter(Boolean),
      '-r',
      'ts-node/register/transpile-only',
      '-r',
      'tsconfig-paths/register',
      path.join(root, 'apps', name, 'src', 'main.ts'),
    ],
    { cwd: root, env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
}

/** The URL a spawned service prints when it listens (`<name> listening on <url>`). */
async function listeningUrl(child: ChildProcess, name: string): Promise<string> {
  const lines = createInterface({ input: child.stdout! });
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`${name} exited with ${String(code)} before it listened`);
  });
  const listening = (async () => {
    for await (const line of lines) {
      const match = /listening on (\S+)/.exec(line);
      if (match) return match[1];
    }
    throw new Error(`${name} closed its output before it listened`);
  })();
  const url = await Promise.race([listening, exited]);
  // Keep draining its output so that it never blocks on a full pipe.
  child.stdout!.resume();
  return url;
}

/**
 * Waits until every source service has published all it stored (outbox empty) and processed all it consumes
 * (consumer lag 0), read from their `/metrics`, twice in a row; answers the milliseconds it waited.
 */
export async function untilSourcesIdle(urls: SourceUrls, timeoutMs = 30 * 60_000): Promise<number> {
  const started = Date.now();
  const busy = async (url: string) => {
    const text = await (await fetch(`${url}/metrics`)).text();
    return /^kielto_(outbox_pending_events|kafka_consumer_lag_messages)\{[^}]*\} [1-9]/m.test(text);
  };
  let quiet = 0;
  while (quiet < 2) {
    if (Date.now() - started > timeoutMs) throw new Error('the source services did not catch up');
    const states = await Promise.all([urls.customers, urls.consents, urls.bans].map(busy));
    quiet = states.some(Boolean) ? 0 : quiet + 1;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return Date.now() - started;
}
