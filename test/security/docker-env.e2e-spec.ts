import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { startStack, Stack } from '../support/stack';

const docker = path.join(__dirname, '..', '..', 'docker');

/** Runs docker/init-env.sh in a scratch copy of docker/ and returns the .env it wrote. */
function generateEnv(): { env: Record<string, string>; mode: number } {
  const dir = mkdtempSync(path.join(tmpdir(), 'kielto-init-env-'));
  try {
    for (const file of ['init-env.sh', '.env.example']) copyFileSync(path.join(docker, file), path.join(dir, file));
    execFileSync('bash', [path.join(dir, 'init-env.sh')], { stdio: 'ignore' });
    const file = path.join(dir, '.env');
    const env: Record<string, string> = {};
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const match = /^([A-Z0-9_]+)=(.*)$/.exec(line);
      if (match) env[match[1]] = match[2];
    }
    return { env, mode: statSync(file).mode & 0o777 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Issue 19 (8): the .env that docker/init-env.sh writes starts every service as compose runs them (production,
 * plaintext allowed on the private network), without Docker: the PII keys are AES-256 keys, and the service key
 * the services call each other with is one of the API keys.
 */
describe('docker/init-env.sh writes a .env the services start with', () => {
  let stack: Stack;
  let env: Record<string, string>;

  beforeAll(async () => {
    const generated = generateEnv();
    expect(generated.mode).toBe(0o600);
    env = generated.env;
    // As docker/compose.yaml's x-kielto-env, with this machine's Kafka and FerretDB instead of the compose network.
    stack = await startStack(['consents', 'directory-bans', 'suppression', 'customers'], {
      NODE_ENV: 'production',
      KIELTO_ALLOW_PLAINTEXT: 'true',
      KIELTO_PUBLIC_URL: 'http://localhost:3002',
      KIELTO_API_KEYS: env.KIELTO_API_KEYS,
      KIELTO_SERVICE_KEY: env.KIELTO_SERVICE_KEY,
      KIELTO_PARTNER_HASH_KEY: env.KIELTO_PARTNER_HASH_KEY,
      KIELTO_PII_KEYS: env.KIELTO_PII_KEYS,
      KIELTO_PII_HASH_KEY: env.KIELTO_PII_HASH_KEY,
      KIELTO_UNSUBSCRIBE_KEYS: env.KIELTO_UNSUBSCRIBE_KEYS,
      KIELTO_SMS_WEBHOOK_SECRET: env.KIELTO_SMS_WEBHOOK_SECRET,
    });
  }, 120_000);
  afterAll(() => stack?.close());

  const keyOf = (role: string) =>
    env.KIELTO_API_KEYS.split(',')
      .find((entry) => entry.startsWith(`${role}:`))!
      .slice(role.length + 1);

  it('replaces every example value and gives each role a key', () => {
    expect(JSON.stringify(env)).not.toContain('example');
    for (const role of ['admin', 'staff', 'marketing', 'partner', 'dpo'])
      expect(keyOf(role).length).toBeGreaterThanOrEqual(24);
    expect(env.KIELTO_API_KEYS.split(',')).toContain(`admin:${env.KIELTO_SERVICE_KEY}`);
  });

  it('starts customers, whose data-subject export reaches the other services with the service key', async () => {
    const created = await request(stack.urls.customers)
      .post('/v1/customers')
      .set('Authorization', `Bearer ${keyOf('staff')}`)
      .send({ kind: 'person', name: 'Docker Testi', personalIdentityCode: '020594X303B' });
    expect(created.status).toBe(201);
    const exported = await request(stack.urls.customers)
      .get(`/v1/customers/${(created.body as { id: string }).id}/export`)
      .set('Authorization', `Bearer ${keyOf('dpo')}`);
    expect(exported.status).toBe(200);
  });
});
