import { ApiKeyRegistry } from '../auth/api-keys';
import { BaseEnv, ConfigValidationError, DEVELOPMENT_API_KEYS, DEVELOPMENT_SECRET } from './base-env';

const EXAMPLE_KEYS = DEVELOPMENT_API_KEYS.split(',').map((k) => k.slice(k.indexOf(':') + 1));
/** MongoDB URI options that switch off certificate or host name checks. */
const INSECURE_TLS = /[?&](tlsAllowInvalidCertificates|tlsAllowInvalidHostnames|tlsInsecure|sslValidate)=(true|false)/i;

export interface StartChecks {
  /** The app's own secrets by variable name (one entry per secret of a list). */
  secrets?: Record<string, string | undefined>;
  /** URLs the app hands out to people (must be https in production), by variable name. */
  publicUrls?: Record<string, string | undefined>;
}

/** Only the loopback interface: a development default there is a laptop, anywhere else an open door. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * Whether a service may start with this configuration. Development defaults (the example API keys, the
 * development secret, keys marked `example`) are refused whenever the service listens beyond loopback, whatever
 * NODE_ENV says: `HOST=0.0.0.0` without NODE_ENV used to accept `dev-admin-key` from the network. With
 * NODE_ENV=production it also refuses short keys and secrets, one secret used for two purposes, plaintext
 * Kafka/MongoDB (unless KIELTO_ALLOW_PLAINTEXT=true, e.g. a private network), MongoDB TLS without certificate
 * checks, and a public URL that is not https (except one on loopback: a local compose run).
 */
export function assertSafeToStart(env: BaseEnv, checks: StartChecks = {}): void {
  const production = env.NODE_ENV === 'production';
  if (!production && isLoopbackHost(env.HOST)) return;
  const problems: string[] = [];
  const keys = new ApiKeyRegistry(env.KIELTO_API_KEYS);
  const secrets: Record<string, string | undefined> = {
    KIELTO_PARTNER_HASH_KEY: env.KIELTO_PARTNER_HASH_KEY,
    ...checks.secrets,
  };

  if (EXAMPLE_KEYS.some((k) => keys.contains(k))) problems.push('KIELTO_API_KEYS contains an example key');
  for (const [name, value] of Object.entries(secrets)) {
    if (value === undefined || value === '') {
      if (production) problems.push(`${name} is missing`);
    } else if (value.includes(DEVELOPMENT_SECRET) || value.includes('example') || EXAMPLE_KEYS.includes(value)) {
      problems.push(`${name} is a development or example value`);
    }
  }

  if (production) {
    if (env.KIELTO_API_KEYS.split(',').some((k) => !/:sha256:/.test(k) && k.slice(k.indexOf(':') + 1).length < 24)) {
      problems.push('KIELTO_API_KEYS has a key shorter than 24 characters');
    }
    for (const [name, value] of Object.entries(secrets)) {
      if (value && value.length < 32) problems.push(`${name} is shorter than 32 characters`);
    }
    problems.push(...reusedSecrets(secrets, keys));
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
    if (INSECURE_TLS.test(env.MONGODB_URI)) {
      problems.push('MONGODB_URI switches off TLS certificate or host name checks (tlsAllowInvalidCertificates…)');
    }
    for (const name of ['KIELTO_OIDC_ISSUER', 'KIELTO_OIDC_JWKS_URL'] as const) {
      const url = env[name];
      if (url !== undefined && !isHttpsOrLoopback(url))
        problems.push(`${name} must be an https URL (keys are fetched from it)`);
    }
    for (const [name, url] of Object.entries(checks.publicUrls ?? {})) {
      if (url !== undefined && url !== '' && !isHttpsOrLoopback(url)) problems.push(`${name} must be an https URL`);
    }
  }

  if (problems.length > 0) {
    const where = production ? 'in production' : `on ${env.HOST} (beyond loopback)`;
    throw new ConfigValidationError(`Refusing to start ${where}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Links people open travel the internet: https, unless they point at this machine (a local compose run). */
function isHttpsOrLoopback(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || (parsed.protocol === 'http:' && isLoopbackHost(parsed.hostname));
  } catch {
    return false;
  }
}

/**
 * Secrets that serve two purposes: a leak of one is a leak of both, and a partner who knows the partner hash key
 * must not thereby hold a PII or signing key. KIELTO_SERVICE_KEY is an API key by purpose, so it may (and should)
 * be one of KIELTO_API_KEYS.
 */
function reusedSecrets(secrets: Record<string, string | undefined>, keys: ApiKeyRegistry): string[] {
  const problems: string[] = [];
  const entries = Object.entries(secrets).filter((e): e is [string, string] => Boolean(e[1]));
  const seen = new Map<string, string>();
  for (const [name, value] of entries) {
    const first = seen.get(value);
    if (first !== undefined) problems.push(`${name} is the same secret as ${first}`);
    else seen.set(value, name);
    if (name !== 'KIELTO_SERVICE_KEY' && keys.contains(value)) problems.push(`${name} is also an API key`);
  }
  return problems;
}
