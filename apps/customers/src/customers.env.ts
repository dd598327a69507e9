import { Transform } from 'class-transformer';
import {
  IsInt,
  IsString,
  IsUrl,
  Max,
  Min,
  MinLength,
  Validate,
  ValidateIf,
  ValidationArguments,
  ValidatorConstraint,
  ValidatorConstraintInterface,
} from 'class-validator';
import { ApiKeyRegistry, BaseEnv, DEVELOPMENT_SECRET, DEVELOPMENT_SERVICE_KEY, FieldCipher } from '@kielto/platform';

@ValidatorConstraint({ name: 'isFieldCipherKeys' })
class IsFieldCipherKeys implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return FieldCipher.isValidSpec(value);
  }

  defaultMessage(): string {
    return 'must be keyId:base64-of-32-bytes[,keyId:key…] (first = active)';
  }
}

/**
 * The export asks the other services with this key, and they accept only admin keys of KIELTO_API_KEYS (the
 * deployment gives every service the same list): any other key would make every export answer 503, so the
 * service refuses to start instead.
 */
@ValidatorConstraint({ name: 'isAdminKeyOfApiKeys' })
class IsAdminKeyOfApiKeys implements ValidatorConstraintInterface {
  validate(value: unknown, args: ValidationArguments): boolean {
    const { KIELTO_API_KEYS } = args.object as CustomersEnv;
    let registry: ApiKeyRegistry;
    try {
      registry = new ApiKeyRegistry(KIELTO_API_KEYS);
    } catch {
      return true; // KIELTO_API_KEYS names its own problem
    }
    return typeof value === 'string' && registry.authenticate(value)?.role === 'admin';
  }

  defaultMessage(): string {
    return 'KIELTO_SERVICE_KEY is not an admin key of KIELTO_API_KEYS: the data-subject export calls the other services with it and would answer 503 (add admin:<this key> or admin:sha256:<its SHA-256> to KIELTO_API_KEYS)';
  }
}

/**
 * Development key, used when nothing is configured outside production. Its id contains "example", so the
 * production guardrails refuse to start with it.
 */
export const DEVELOPMENT_PII_KEYS = 'dev-example:a2llbHRvLWRldmVsb3BtZW50LWtleS0zMi1ieXRlcyE=';

const url = { require_tld: false, require_protocol: true, protocols: ['http', 'https'] };

export class CustomersEnv extends BaseEnv {
  /** AES-256-GCM keys for personal data at rest: `keyId:base64key[,…]`, the first encrypts, all decrypt. */
  @Validate(IsFieldCipherKeys)
  KIELTO_PII_KEYS = DEVELOPMENT_PII_KEYS;

  /** HMAC key of the identity-code lookup hash (separate from the partner key: partners never see it). */
  @IsString()
  @MinLength(16)
  KIELTO_PII_HASH_KEY = DEVELOPMENT_SECRET;

  /** An admin API key of the other services, used to gather the data-subject export. */
  @IsString()
  @MinLength(8)
  @Validate(IsAdminKeyOfApiKeys)
  KIELTO_SERVICE_KEY = DEVELOPMENT_SERVICE_KEY;

  @IsUrl(url) CONSENTS_URL = 'http://127.0.0.1:3002';
  @IsUrl(url) DIRECTORY_BANS_URL = 'http://127.0.0.1:3003';
  @IsUrl(url) SUPPRESSION_URL = 'http://127.0.0.1:3004';

  /** How long the export waits for each of the other services before answering 503. */
  @Transform(({ value }) => (value === undefined || value === '' ? undefined : Number(value)))
  @IsInt()
  @Min(100)
  @Max(120_000)
  KIELTO_EXPORT_TIMEOUT_MS = 10_000;

  /** The retention job erases customers whose relationship ended more than this many days ago (0: at once). */
  @Transform(({ value }) => (value === undefined || value === '' ? undefined : Number(value)))
  @IsInt()
  @Min(0)
  @Max(36_500)
  KIELTO_RETENTION_DAYS = 365;

  /**
   * How often the retention job runs, once per interval in the cluster (intervals start at the Unix epoch); 0 turns
   * the schedule off (runs then happen only on POST /v1/retention/run).
   */
  @Transform(({ value }) => (value === undefined || value === '' ? undefined : Number(value)))
  @IsInt()
  @Max(31 * 86_400_000)
  @ValidateIf((env: CustomersEnv) => env.KIELTO_RETENTION_INTERVAL_MS !== 0)
  @Min(1000)
  KIELTO_RETENTION_INTERVAL_MS = 86_400_000;
}
