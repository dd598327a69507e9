import { ApiKeyRegistry } from '../auth/api-keys';
import { BaseEnv, ConfigValidationError, DEVELOPMENT_API_KEYS, DEVELOPMENT_SECRET } from './base-env';

const EXAMPLE_KEYS = DEVELOPMENT_API_KEYS.split(',').map((k) => k.slice(k.indexOf(':') + 1));

/**
 * With NODE_ENV=production a service refuses to start on example keys, weak secrets, or plaintext
 * connections to Kafka/MongoDB (unless KIELTO_ALLOW_PLAINTEXT=true, e.g. on a private network).
 */
export function assertProductionSafe(env: BaseEnv, extraSecrets: Record<string, string | undefined> = {}): void {
  if (env.NODE_ENV !== 'production') return;
  const problems: string[] = [];
  const keys = new ApiKeyRegistry(env.KIELTO_API_KEYS);
  if (EXAMPLE_KEYS.some((k) => keys.contains(k))) problems.push('KIELTO_API_KEYS contains an example key');
  if (env.KIELTO_API_KEYS.split(',').some((k) => !/:sha256:/.test(k) && k.slice(k.indexOf(':') + 1).length < 24)) {
    problems.push('KIELTO_API_KEYS has a key shorter than 24 characters');
  }
  const secrets: Record<string, string | undefined> = {
    KIELTO_PARTNER_HASH_KEY: env.KIELTO_PARTNER_HASH_KEY,
    ...extraSecrets,
  };
  for (const [name, value] of Object.entries(secrets)) {
    if (!value || value === DEVELOPMENT_SECRET || value.includes('example') || value.length < 32) {
      problems.push(`${name} is missing, an example value, or shorter than 32 characters`);
    }
  }
  if (env.KIELTO_ALLOW_PLAINTEXT !== 'true') {
    if (
      env.KAFKA_SECURITY === 'plaintext' ||
      (env.KAFKA_SECURITY.startsWith('sasl-') && !env.KAFKA_SECURITY.startsWith('sasl-ssl'))
    ) {
      problems.push('KAFKA_SECURITY is plaintext (use ssl or sasl-ssl-*, or set KIELTO_ALLOW_PLAINTEXT=true)');
    }
    if (!/[?&](tls|ssl)=true/.test(env.MONGODB_URI) && !env.MONGODB_URI.startsWith('mongodb+srv://')) {
      problems.push('MONGODB_URI does not use TLS (add tls=true, or set KIELTO_ALLOW_PLAINTEXT=true)');
    }
  }
  if (problems.length > 0) {
    throw new ConfigValidationError(`Refusing to start in production:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}
