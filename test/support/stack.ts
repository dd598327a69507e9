import { randomBytes } from 'node:crypto';
import type { ServiceApp } from '@kielto/platform';

export type ServiceName = 'customers' | 'consents' | 'directory-bans' | 'suppression';

export const KEYS = {
  admin: 'test-admin-key-0123456789',
  staff: 'test-staff-key-0123456789',
  marketing: 'test-marketing-key-0123456789',
  partner: 'test-partner-key-0123456789',
  dpo: 'test-dpo-key-0123456789',
} as const;

/** KEYS in the `role:key,…` form of KIELTO_API_KEYS. */
export const API_KEYS_SETTING = Object.entries(KEYS)
  .map(([role, key]) => `${role}:${key}`)
  .join(',');

/**
 * Tests and tools make many calls from one address, many of them deliberately without a key: the limits of the
 * access policy are tested where they are set (test/security/access-limits.e2e-spec.ts), and lifted elsewhere.
 */
export const UNLIMITED_ACCESS = {
  KIELTO_RATE_LIMIT_PER_MINUTE: '600000',
  KIELTO_AUTH_FAILURES_PER_MINUTE: '600000',
  KIELTO_PUBLIC_RATE_LIMIT_PER_MINUTE: '600000',
} as const;

export const MONGODB_URI =
  process.env.MONGODB_URI ?? 'mongodb://127.0.0.1:27017/?directConnection=true&retryWrites=false';
export const PARTNER_HASH_KEY = 'test-partner-hash-key-0123456789abcdef';

export interface Stack {
  urls: Record<ServiceName, string>;
  apps: Partial<Record<ServiceName, ServiceApp>>;
  prefix: string;
  close(): Promise<void>;
}

/**
 * Starts the given services in this jest worker against the real Kafka and FerretDB, isolated from other
 * test files by a unique database prefix and topic prefix. Services are started in dependency order.
 */
export async function startStack(services: ServiceName[], env: Record<string, string> = {}): Promise<Stack> {
  const prefix = `t${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  // Test files may share one process (jest in-band): restore the environment when this stack closes.
  const savedEnv = { ...process.env };
  Object.assign(process.env, {
    ...UNLIMITED_ACCESS,
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    MONGODB_DB_PREFIX: prefix,
    KAFKA_TOPIC_PREFIX: `${prefix}.`,
    KIELTO_API_KEYS: API_KEYS_SETTING,
    KIELTO_SERVICE_KEY: KEYS.admin,
    KIELTO_PARTNER_HASH_KEY: PARTNER_HASH_KEY,
    SUPPRESSION_INSTANCE_ID: `${prefix}-a`,
    ...env,
  });
  const apps: Partial<Record<ServiceName, ServiceApp>> = {};
  const urls = {} as Record<ServiceName, string>;
  for (const name of services) {
    const { start } = (await import(`../../apps/${name}/src/service`)) as { start(port?: number): Promise<ServiceApp> };
    apps[name] = await start(0);
    urls[name] = apps[name].url;
    process.env[`${name.toUpperCase().replace('-', '_')}_URL`] = urls[name];
  }
  return {
    urls,
    apps,
    prefix,
    async close() {
      for (const name of [...services].reverse()) await apps[name]?.app.close();
      await dropDatabases(prefix);
      for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
      Object.assign(process.env, savedEnv);
    },
  };
}

export const bearer = (role: keyof typeof KEYS) => ({ Authorization: `Bearer ${KEYS[role]}` });

/** Polls until `probe` returns a truthy value or the deadline passes (no sleeps as synchronisation). */
export async function eventually<T>(
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 15000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
}

/** FerretDB keeps one SQLite file per database and slows down as they pile up: drop what a test file made. */
export async function dropDatabases(prefix: string): Promise<void> {
  const { MongoClient } = await import('mongodb');
  const client = await MongoClient.connect(MONGODB_URI);
  try {
    const { databases } = await client.db().admin().listDatabases({ nameOnly: true });
    for (const { name } of databases) if (name.startsWith(`${prefix}-`)) await client.db(name).dropDatabase();
  } finally {
    await client.close();
  }
}
