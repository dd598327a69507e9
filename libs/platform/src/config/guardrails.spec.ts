import { BaseEnv, ConfigValidationError, DEVELOPMENT_API_KEYS, validateEnv } from './base-env';
import { assertProductionSafe } from './guardrails';

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

describe(assertProductionSafe.name, () => {
  it('accepts a production configuration with strong secrets and TLS', () => {
    expect(() => assertProductionSafe(production())).not.toThrow();
  });

  it.each([
    ['example API keys', { KIELTO_API_KEYS: DEVELOPMENT_API_KEYS }, /example key/],
    ['a short API key', { KIELTO_API_KEYS: 'admin:short-key-1' }, /shorter than 24/],
    ['a weak hash key', { KIELTO_PARTNER_HASH_KEY: 'too-short-secret-123' }, /KIELTO_PARTNER_HASH_KEY/],
    ['plaintext Kafka', { KAFKA_SECURITY: 'plaintext' }, /KAFKA_SECURITY/],
    ['plaintext MongoDB', { MONGODB_URI: 'mongodb://db.internal:27017/' }, /MONGODB_URI/],
  ])('refuses to start with %s', (_what, overrides, message) => {
    expect(() => assertProductionSafe(production(overrides))).toThrow(message);
  });

  it('allows plaintext connections only when explicitly allowed', () => {
    const env = production({
      KAFKA_SECURITY: 'plaintext',
      MONGODB_URI: 'mongodb://mongo:27017/',
      KIELTO_ALLOW_PLAINTEXT: 'true',
    });
    expect(() => assertProductionSafe(env)).not.toThrow();
  });

  it("checks the app's own secrets too", () => {
    expect(() => assertProductionSafe(production(), { KIELTO_PII_HASH_KEY: undefined })).toThrow(/KIELTO_PII_HASH_KEY/);
  });

  it('does nothing outside production', () => {
    const env = validateEnv(BaseEnv, { NODE_ENV: 'development' });
    expect(() => assertProductionSafe(env)).not.toThrow();
  });
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
