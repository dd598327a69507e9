import { createHash, randomBytes } from 'node:crypto';
import { assertSafeToStart, ConfigValidationError, validateEnv } from '@kielto/platform';
import { CustomersEnv, DEVELOPMENT_PII_KEYS } from './customers.env';

const secrets = (env: CustomersEnv) => ({
  KIELTO_PII_KEYS: env.KIELTO_PII_KEYS,
  KIELTO_PII_HASH_KEY: env.KIELTO_PII_HASH_KEY,
  KIELTO_SERVICE_KEY: env.KIELTO_SERVICE_KEY,
});

describe(CustomersEnv.name, () => {
  it('works with no configuration outside production', () => {
    const env = validateEnv(CustomersEnv, {});
    expect(env.KIELTO_PII_KEYS).toBe(DEVELOPMENT_PII_KEYS);
    expect(env.CONSENTS_URL).toBe('http://127.0.0.1:3002');
    expect(env.DIRECTORY_BANS_URL).toBe('http://127.0.0.1:3003');
    expect(env.SUPPRESSION_URL).toBe('http://127.0.0.1:3004');
    expect(() => assertSafeToStart(env, { secrets: secrets(env) })).not.toThrow();
  });

  it('refuses to start in production on the development secrets, naming each', () => {
    const env = validateEnv(CustomersEnv, { NODE_ENV: 'production', KIELTO_ALLOW_PLAINTEXT: 'true' });
    const attempt = () => assertSafeToStart(env, { secrets: secrets(env) });
    expect(attempt).toThrow(/KIELTO_PII_KEYS/);
    expect(attempt).toThrow(/KIELTO_PII_HASH_KEY/);
    expect(attempt).toThrow(/KIELTO_SERVICE_KEY/);
  });

  it('names a malformed key list without echoing it', () => {
    const bad = 'k1:' + randomBytes(16).toString('base64');
    try {
      validateEnv(CustomersEnv, { KIELTO_PII_KEYS: bad });
      throw new Error('should have failed');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigValidationError);
      expect(String(error)).toMatch(/KIELTO_PII_KEYS/);
      expect(String(error)).not.toContain(bad);
    }
  });

  it('refuses to start when KIELTO_SERVICE_KEY is not an admin key of KIELTO_API_KEYS (the export would answer 503)', () => {
    const keys = 'admin:admin-key-0123456789,staff:staff-key-0123456789';
    const attempt = (serviceKey: string) => () =>
      validateEnv(CustomersEnv, { KIELTO_API_KEYS: keys, KIELTO_SERVICE_KEY: serviceKey });
    expect(attempt('staff-key-0123456789')).toThrow(/KIELTO_SERVICE_KEY is not an admin key of KIELTO_API_KEYS/);
    expect(attempt('unknown-key-0123456789')).toThrow(/would answer 503/);
    // The development default is refused too once the API keys are someone else's.
    expect(() => validateEnv(CustomersEnv, { KIELTO_API_KEYS: keys })).toThrow(/KIELTO_SERVICE_KEY/);
    expect(attempt('admin-key-0123456789')).not.toThrow();
    const hashed = `admin:sha256:${createHash('sha256').update('hashed-admin-key-0123').digest('hex')}`;
    expect(() =>
      validateEnv(CustomersEnv, { KIELTO_API_KEYS: hashed, KIELTO_SERVICE_KEY: 'hashed-admin-key-0123' }),
    ).not.toThrow();
  });

  it('accepts a rotated key list and custom service URLs', () => {
    const keys = `k2:${randomBytes(32).toString('base64')},k1:${randomBytes(32).toString('base64')}`;
    const env = validateEnv(CustomersEnv, { KIELTO_PII_KEYS: keys, CONSENTS_URL: 'https://consents.internal:8443' });
    expect(env.KIELTO_PII_KEYS).toBe(keys);
    expect(env.CONSENTS_URL).toBe('https://consents.internal:8443');
  });
});
