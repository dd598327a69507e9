import type { ServiceApp } from '@kielto/platform';
import { Kafka, logLevel } from 'kafkajs';
import { MongoClient } from 'mongodb';

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

/**
 * Runs `work` against the three source services started in this process on spare ports (consents and
 * directory-bans first: they consume what customers publish), then stops them and removes the run's data.
 */
export async function withSourceServices(run: string, work: (urls: SourceUrls) => Promise<void>): Promise<void> {
  const apps: ServiceApp[] = [];
  try {
    for (const name of ['consents', 'directory-bans', 'customers']) {
      const { start } = (await import(`../apps/${name}/src/service`)) as { start(port?: number): Promise<ServiceApp> };
      apps.push(await start(0));
    }
    const [consents, bans, customers] = apps;
    await work({ customers: customers.url, consents: consents.url, bans: bans.url });
  } finally {
    for (const app of apps.reverse()) await app.app.close();
    await dropRunData(run, ['customers', 'consents', 'directory-bans']);
  }
}
