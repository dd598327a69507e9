import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, IsUrl, Matches, Max, Min, MinLength } from 'class-validator';
import { BaseEnv, DEVELOPMENT_SECRET, DEVELOPMENT_SERVICE_KEY } from '@kielto/platform';

/** `kid:secret[,kid:secret…]`: the first key signs new unsubscribe tokens, every key verifies (rotation). */
export const UNSUBSCRIBE_KEYS_PATTERN = /^[A-Za-z0-9_-]{1,32}:[^,\s]{16,}(,[A-Za-z0-9_-]{1,32}:[^,\s]{16,})*$/;

export class ConsentsEnv extends BaseEnv {
  /** Base URL of unsubscribe links and the preference page; defaults to this service's own address. */
  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] })
  KIELTO_PUBLIC_URL?: string;

  /** HMAC keys of unsubscribe tokens, `kid:secret[,kid:secret]`; secrets of at least 16 characters (32 in production). */
  @IsString()
  @Matches(UNSUBSCRIBE_KEYS_PATTERN, { message: 'KIELTO_UNSUBSCRIBE_KEYS must be kid:secret[,kid:secret…]' })
  KIELTO_UNSUBSCRIBE_KEYS = `dev:${DEVELOPMENT_SECRET}`;

  /** Days an unsubscribe link works after it was made (links already sent expire by it too). */
  @Transform(({ value }: { value: unknown }) => (value === undefined || value === '' ? undefined : Number(value)))
  @IsInt()
  @Min(1)
  @Max(3650)
  KIELTO_UNSUBSCRIBE_LINK_TTL_DAYS = 400;

  /**
   * Version of the privacy notice staff show when they record a decision: kept as `evidence.noticeVersion` of a
   * grant or a lifted prohibition when the request names none (GDPR Art 7(1): proof of what the person was told).
   */
  @IsString()
  @Matches(/^[^\p{Cc}]{1,100}$/u, { message: 'KIELTO_NOTICE_VERSION must be 1-100 characters' })
  KIELTO_NOTICE_VERSION = 'unspecified';

  /**
   * Shared secret of the SMS gateway: `X-Kielto-Timestamp: <unix s>` and
   * `X-Kielto-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">`.
   */
  @IsString()
  @MinLength(16)
  KIELTO_SMS_WEBHOOK_SECRET = DEVELOPMENT_SECRET;

  /**
   * The customers service, whose request desk a decision names with `X-Kielto-Dsr` (checked before the write, the
   * trail written after it), and an admin API key of it (the same KIELTO_SERVICE_KEY as customers').
   */
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] })
  CUSTOMERS_URL = 'http://127.0.0.1:3001';

  @IsString()
  @MinLength(8)
  KIELTO_SERVICE_KEY = DEVELOPMENT_SERVICE_KEY;
}

/** The unsubscribe keys in order (the first one signs). */
export function parseUnsubscribeKeys(spec: string): { kid: string; secret: string }[] {
  return spec.split(',').map((item) => {
    const colon = item.indexOf(':');
    return { kid: item.slice(0, colon), secret: item.slice(colon + 1) };
  });
}
