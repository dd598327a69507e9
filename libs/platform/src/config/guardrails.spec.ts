import { BaseEnv, ConfigValidationError, DEVELOPMENT_API_KEYS, validateEnv } from './base-env';
import { assertSafeToStart } from './guardrails';

const strongKey = (role: string) => `${role}:${role}-0123456789abcdef0123456789`;
const production = (overrides: Record<string, string> = {}) =>
  validateEnv(BaseEnv, {
    NODE_ENV: 'production',
    KIELTO_API_KEYS: ['admin', 'staff', 'marketing', 'partner'].map(strongKey).join(','),
    KIELTO_PARTNER_HASH_KEY: 'f'.repeat(64),
    KAFKA_SECURITY: 'sasl-ssl-scram-512',
    MONGODB_URI: 'mongodb://db.internal:27017/?tls=true',
    ...overrides,
  });

describe(assertSafeToStart.name, () => {
  it('accepts a production configuration with strong secrets and TLS', () => {
    expect(() => assertSafeToStart(production())).not.toThrow();
  });

  it.each([
    ['example API keys', { KIELTO_API_KEYS: DEVELOPMENT_API_KEYS }, /example key/],
    ['a short API key', { KIELTO_API_KEYS: 'admin:short-key-1' }, /shorter than 24/],
    ['a weak hash key', { KIELTO_PARTNER_HASH_KEY: 'too-short-secret-123' }, /KIELTO_PARTNER_HASH_KEY/],
    ['plaintext Kafka', { KAFKA_SECURITY: 'plaintext' }, /KAFKA_SECURITY/],
    ['plaintext MongoDB', { MONGODB_URI: 'mongodb://db.internal:27017/' }, /MONGODB_URI/],
  ])('refuses to start with %s', (_what, overrides, message) => {
    expect(() => assertSafeToStart(production(overrides))).toThrow(message);
  });

  it('allows plaintext connections only when explicitly allowed', () => {
    const env = production({
      KAFKA_SECURITY: 'plaintext',
      MONGODB_URI: 'mongodb://mongo:27017/',
      KIELTO_ALLOW_PLAINTEXT: 'true',
    });
    expect(() => assertSafeToStart(env)).not.toThrow();
  });

  it("checks the app's own secrets too", () => {
    expect(() => assertSafeToStart(production(), { secrets: { KIELTO_PII_HASH_KEY: undefined } })).toThrow(
      /KIELTO_PII_HASH_KEY/,
    );
  });

  it('accepts development defaults outside production on loopback only', () => {
    for (const HOST of ['127.0.0.1', 'localhost', '::1']) {
      expect(() => assertSafeToStart(validateEnv(BaseEnv, { HOST }))).not.toThrow();
    }
  });

  it.each(['0.0.0.0', '::', '10.1.2.3', 'kielto.internal'])(
    'refuses development defaults on %s without NODE_ENV, naming each',
    (HOST) => {
      const env = validateEnv(BaseEnv, { HOST });
      const attempt = () => assertSafeToStart(env, { secrets: { KIELTO_SERVICE_KEY: 'dev-admin-key' } });
      expect(attempt).toThrow(/KIELTO_API_KEYS contains an example key/);
      expect(attempt).toThrow(/KIELTO_PARTNER_HASH_KEY is a development or example value/);
      expect(attempt).toThrow(/KIELTO_SERVICE_KEY is a development or example value/);
      expect(attempt).toThrow(/beyond loopback/);
    },
  );

  it('accepts real secrets beyond loopback outside production (a staging box without TLS)', () => {
    const env = validateEnv(BaseEnv, {
      HOST: '0.0.0.0',
      KIELTO_API_KEYS: strongKey('admin'),
      KIELTO_PARTNER_HASH_KEY: 'f'.repeat(64),
    });
    expect(() => assertSafeToStart(env)).not.toThrow();
  });

  it.each([
    [
      'the partner key reused as the PII hash key',
      { secrets: { KIELTO_PII_HASH_KEY: 'f'.repeat(64) } },
      /KIELTO_PII_HASH_KEY is the same secret as KIELTO_PARTNER_HASH_KEY/,
    ],
    [
      'an API key reused as a signing secret',
      { secrets: { KIELTO_SMS_WEBHOOK_SECRET: 'staff-0123456789abcdef0123456789' } },
      /KIELTO_SMS_WEBHOOK_SECRET is also an API key/,
    ],
    [
      'a public URL over http',
      { publicUrls: { KIELTO_PUBLIC_URL: 'http://kielto.example.fi' } },
      /KIELTO_PUBLIC_URL must be an https URL/,
    ],
  ])('refuses in production %s', (_what, checks, message) => {
    expect(() => assertSafeToStart(production(), checks)).toThrow(message);
  });

  it('accepts the service key being one of the API keys, and an https public URL', () => {
    const checks = {
      secrets: { KIELTO_SERVICE_KEY: 'admin-0123456789abcdef0123456789' },
      publicUrls: { KIELTO_PUBLIC_URL: 'https://kielto.fi' },
    };
    expect(() => assertSafeToStart(production(), checks)).not.toThrow();
  });

  it.each(['tlsAllowInvalidCertificates=true', 'tlsInsecure=true', 'tlsAllowInvalidHostnames=true'])(
    'refuses in production a MongoDB URI with %s',
    (option) => {
      const env = production({ MONGODB_URI: `mongodb://db.internal:27017/?tls=true&${option}` });
      expect(() => assertSafeToStart(env)).toThrow(/certificate or host name checks/);
    },
  );
});

describe(validateEnv.name, () => {
  it('names every bad variable without echoing values', () => {
    try {
      validateEnv(BaseEnv, { NODE_ENV: 'staging', PORT: 'not-a-port', KIELTO_PARTNER_HASH_KEY: 'secret' });
      throw new Error('expected a ConfigValidationError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigValidationError);
      const message = (error as Error).message;
      expect(message).toMatch(/NODE_ENV/);
      expect(message).toMatch(/PORT/);
      expect(message).toMatch(/KIELTO_PARTNER_HASH_KEY/);
      expect(message).not.toContain('secret');
    }
  });
});
