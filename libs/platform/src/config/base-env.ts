import { applyDecorators } from '@nestjs/common';
import { plainToInstance, Transform } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  Validate,
  ValidationArguments,
  ValidatorConstraint,
  ValidatorConstraintInterface,
  validateSync,
} from 'class-validator';
import { ApiKeyRegistry } from '../auth/api-keys';
import { parseRoleMap } from '../auth/oidc-tokens';

/** Keys used when nothing is configured outside production, so that `npm start` just works on a laptop. */
export const DEVELOPMENT_API_KEYS =
  'admin:dev-admin-key,staff:dev-staff-key,marketing:dev-marketing-key,partner:dev-partner-key,dpo:dev-dpo-key';
export const DEVELOPMENT_SECRET = 'kielto-development-secret-do-not-use-in-production';
/** The admin key of DEVELOPMENT_API_KEYS: the services' KIELTO_SERVICE_KEY when nothing is configured. */
export const DEVELOPMENT_SERVICE_KEY = DEVELOPMENT_API_KEYS.split(',')
  .find((k) => k.startsWith('admin:'))!
  .slice('admin:'.length);

/** The registry's own parse decides, so that a list the services accept is exactly a list that validates. */
@ValidatorConstraint({ name: 'isApiKeyList' })
class IsApiKeyList implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return typeof value === 'string' && apiKeyListProblem(value) === undefined;
  }

  defaultMessage(args: ValidationArguments): string {
    return `KIELTO_API_KEYS ${apiKeyListProblem(String(args.value)) ?? 'is not a key list'} (role:key or role:sha256:<hex>, comma-separated)`;
  }
}

function apiKeyListProblem(spec: string): string | undefined {
  try {
    return new ApiKeyRegistry(spec).size === 0 ? 'holds no key' : undefined;
  } catch (error) {
    return (error as Error).message.replace(/^KIELTO_API_KEYS /, '');
  }
}

/** The OpenID Connect settings go together: each is checked against KIELTO_OIDC_ISSUER, which switches them on. */
@ValidatorConstraint({ name: 'isOidcSetting' })
class IsOidcSetting implements ValidatorConstraintInterface {
  validate(value: unknown, args: ValidationArguments): boolean {
    return oidcSettingProblem(args.property, value, args.object as BaseEnv) === undefined;
  }

  defaultMessage(args: ValidationArguments): string {
    return `${args.property} ${oidcSettingProblem(args.property, args.value, args.object as BaseEnv) ?? 'is invalid'}`;
  }
}

function oidcSettingProblem(property: string, value: unknown, env: BaseEnv): string | undefined {
  if (env.KIELTO_OIDC_ISSUER === undefined) {
    return value === undefined ? undefined : 'is set but KIELTO_OIDC_ISSUER is not (sign-in tokens need the issuer)';
  }
  const isHttpUrl = (v: unknown) => {
    try {
      return typeof v === 'string' && ['http:', 'https:'].includes(new URL(v).protocol);
    } catch {
      return false;
    }
  };
  switch (property) {
    case 'KIELTO_OIDC_ISSUER':
      return isHttpUrl(value) ? undefined : "must be the provider's issuer URL (http or https)";
    case 'KIELTO_OIDC_JWKS_URL':
      return value === undefined || isHttpUrl(value) ? undefined : 'must be an http or https URL';
    case 'KIELTO_OIDC_AUDIENCE':
      return typeof value === 'string' && value.trim() !== ''
        ? undefined
        : 'is required with KIELTO_OIDC_ISSUER (the client id the tokens are issued for)';
    case 'KIELTO_OIDC_ROLE_MAP':
      if (value === undefined) return 'is required with KIELTO_OIDC_ISSUER (e.g. kielto-staff:staff,kielto-dpo:dpo)';
      try {
        parseRoleMap(typeof value === 'string' ? value : '');
        return undefined;
      } catch (error) {
        return (error as Error).message.replace(/^KIELTO_OIDC_ROLE_MAP /, '');
      }
    default:
      return undefined;
  }
}

const toInt = ({ value }: { value: unknown }) => (value === undefined || value === '' ? undefined : Number(value));

/** An integer variable of at least `min`. */
const IntAtLeast = (min: number) => applyDecorators(Transform(toInt), IsInt(), Min(min));

/**
 * Environment shared by every service. Each app extends it with its own variables, and the app refuses to
 * start with a clear message naming every bad variable (never its value: some are secrets).
 */
export class BaseEnv {
  @IsIn(['development', 'test', 'production'])
  NODE_ENV: 'development' | 'test' | 'production' = 'development';

  @IsString()
  HOST = '127.0.0.1';

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT?: number;

  @IsString()
  @MinLength(1)
  MONGODB_URI = 'mongodb://127.0.0.1:27017/?directConnection=true&retryWrites=false';

  /** Each service owns the database `<prefix>-<service>`; tests use their own prefix. */
  @IsString()
  @MinLength(1)
  MONGODB_DB_PREFIX = 'kielto';

  @IsString()
  @MinLength(1)
  KAFKA_BROKERS = '127.0.0.1:9092';

  /** Prepended to every topic and consumer group (tests isolate themselves with it). */
  @IsString()
  KAFKA_TOPIC_PREFIX = '';

  @IsOptional()
  @IsIn([
    'plaintext',
    'ssl',
    'sasl-plain',
    'sasl-scram-256',
    'sasl-scram-512',
    'sasl-ssl-plain',
    'sasl-ssl-scram-256',
    'sasl-ssl-scram-512',
  ])
  KAFKA_SECURITY: string = 'plaintext';

  @IsOptional() @IsString() KAFKA_SASL_USERNAME?: string;
  @IsOptional() @IsString() KAFKA_SASL_PASSWORD?: string;

  /** `role:key` or `role:sha256:<hex>`, comma-separated. */
  @IsString()
  @MinLength(1)
  @Validate(IsApiKeyList)
  KIELTO_API_KEYS = DEVELOPMENT_API_KEYS;

  /** HMAC key of normalised identifiers: matching inside kielto and the partner feed (docs/CONTRACT.md §3.1, §4). */
  @IsString()
  @MinLength(16)
  KIELTO_PARTNER_HASH_KEY = DEVELOPMENT_SECRET;

  /** Allow plaintext Kafka/MongoDB connections in production (e.g. a private compose network). */
  @IsOptional()
  @IsIn(['true', 'false'])
  KIELTO_ALLOW_PLAINTEXT = 'false';

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  /** Largest accepted request body in bytes (bigger → 413). */
  @Transform(toInt)
  @IsInt()
  @Min(1024)
  KIELTO_BODY_LIMIT = 1_048_576;

  /** Requests per minute per key for every role (KIELTO_RATE_LIMITS and the defaults per role otherwise apply). */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  KIELTO_RATE_LIMIT_PER_MINUTE?: number;

  /** Requests per minute per key by role, `role:n,…` (defaults: see DEFAULT_RATE_LIMITS). */
  @IsOptional()
  @Matches(/^\s*[a-z]+:[1-9][0-9]{0,9}\s*(,\s*[a-z]+:[1-9][0-9]{0,9}\s*)*$/)
  KIELTO_RATE_LIMITS?: string;

  /** Failed authentications per client address and minute; beyond, that address gets 429. */
  @IntAtLeast(1)
  KIELTO_AUTH_FAILURES_PER_MINUTE = 30;

  /** Requests per client address and minute to each self-service page route (`/u/:token`). */
  @IntAtLeast(1)
  KIELTO_PUBLIC_RATE_LIMIT_PER_MINUTE = 60;

  /** Requests per client address and minute to a signed webhook (the SMS gateway). */
  @IntAtLeast(1)
  KIELTO_WEBHOOK_RATE_LIMIT_PER_MINUTE = 6_000;

  /**
   * Number of reverse proxies in front of the service whose X-Forwarded-For is trusted (0: none, the peer is the
   * client). Rate limits per client address need it behind a proxy, or every client shares the proxy's budget.
   */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(10)
  KIELTO_TRUST_PROXY = 0;

  /** Whole request (headers and body) must arrive within this many ms (slow-loris). */
  @IntAtLeast(1000)
  KIELTO_REQUEST_TIMEOUT_MS = 120_000;

  /**
   * A socket without traffic for this many ms is closed. Node counts a request being processed as idle too, so
   * this must exceed the longest answer (a large import, a data-subject export): 60 s cut a CLI import mid-way.
   */
  @IntAtLeast(1000)
  KIELTO_CONNECTION_TIMEOUT_MS = 600_000;

  /** Open connections at most; more are refused by the server. */
  @IntAtLeast(1)
  KIELTO_MAX_CONNECTIONS = 2_048;

  @IsOptional() @IsString() KIELTO_CORS_ORIGINS?: string;

  /**
   * Staff sign in as themselves (docs/CONTRACT.md §3.8, issue 16): the OpenID Connect provider's issuer URL. Unset:
   * API keys only. Tokens are verified against the provider's key set (KIELTO_OIDC_JWKS_URL, or `jwks_uri` of
   * `<issuer>/.well-known/openid-configuration`).
   */
  @Validate(IsOidcSetting) KIELTO_OIDC_ISSUER?: string;
  /** The audience (`aud`) tokens must name: the client id of kielto at the provider. */
  @Validate(IsOidcSetting) KIELTO_OIDC_AUDIENCE?: string;
  @Validate(IsOidcSetting) KIELTO_OIDC_JWKS_URL?: string;
  /** `claim value:role,…` (roles admin, staff, dpo), e.g. `kielto-staff:staff,kielto-dpo:dpo`. */
  @Validate(IsOidcSetting) KIELTO_OIDC_ROLE_MAP?: string;

  /** The claim holding the person's groups or roles: a name, or a dotted path (`realm_access.roles`). */
  @IsString()
  @MinLength(1)
  KIELTO_OIDC_ROLES_CLAIM = 'roles';

  /** A token naming an unknown key (`kid`) makes the key set be fetched again at most this often. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(3_600_000)
  KIELTO_OIDC_JWKS_COOLDOWN_MS = 30_000;
}

export class ConfigValidationError extends Error {}

/** Validates `process.env` against an env class; throws one readable error listing every bad variable. */
export function validateEnv<T extends BaseEnv>(envClass: new () => T, raw: Record<string, unknown>): T {
  const defined = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined && v !== ''));
  const env = plainToInstance(envClass, defined, { exposeDefaultValues: true });
  const errors = validateSync(env, { skipMissingProperties: false, whitelist: false });
  if (errors.length > 0) {
    const lines = errors.map((e) => `  - ${describeProblem(e.property, e.constraints ?? {}, defined[e.property])}`);
    throw new ConfigValidationError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return env;
}

/**
 * One sentence per bad variable, led by its name, in class-validator's own words ("must be longer than or equal
 * to 16 characters") and, for a length rule, the length given — never the value: many of these are secrets.
 */
function describeProblem(property: string, failed: Record<string, string>, given: unknown): string {
  // Bounds say nothing about a value that is not a number at all.
  const constraints = 'isInt' in failed ? { isInt: failed.isInt } : failed;
  const sentences = Object.values(constraints).map((m) =>
    m.startsWith(property) ? m.slice(property.length).trim() : m,
  );
  const lengthRule = 'minLength' in constraints || 'maxLength' in constraints;
  const length = lengthRule && typeof given === 'string' ? ` (${given.length} given)` : '';
  return `${property} ${sentences.join('; ')}${length}`;
}
