import { IsOptional, IsString, IsUrl, Matches, MinLength } from 'class-validator';
import { BaseEnv, DEVELOPMENT_SECRET } from '@kielto/platform';

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

  /** Shared secret of the SMS gateway: `X-Kielto-Signature: sha256=<hex HMAC-SHA256 of the raw body>`. */
  @IsString()
  @MinLength(16)
  KIELTO_SMS_WEBHOOK_SECRET = DEVELOPMENT_SECRET;
}

/** The unsubscribe keys in order (the first one signs). */
export function parseUnsubscribeKeys(spec: string): { kid: string; secret: string }[] {
  return spec.split(',').map((item) => {
    const colon = item.indexOf(':');
    return { kid: item.slice(0, colon), secret: item.slice(colon + 1) };
  });
}
