import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, IsUrl, Max, Min, MinLength } from 'class-validator';
import { BaseEnv } from '@kielto/platform';

const SERVICE_URL = { require_tld: false, require_protocol: true, protocols: ['http', 'https'] };
const toInt = ({ value }: { value: unknown }) => (value === undefined || value === '' ? undefined : Number(value));

/**
 * The console's settings. It has no database and no broker of its own: the database and Kafka settings it
 * inherits are unused. KIELTO_API_KEYS tells it which role a development key typed into the sign-in form holds
 * (the same list the services accept); KIELTO_OIDC_* are the services' sign-in settings, the audience being the
 * console's client id at the provider.
 */
export class ConsoleEnv extends BaseEnv {
  @IsUrl(SERVICE_URL) CUSTOMERS_URL = 'http://127.0.0.1:3001';
  @IsUrl(SERVICE_URL) CONSENTS_URL = 'http://127.0.0.1:3002';
  @IsUrl(SERVICE_URL) DIRECTORY_BANS_URL = 'http://127.0.0.1:3003';
  @IsUrl(SERVICE_URL) SUPPRESSION_URL = 'http://127.0.0.1:3004';

  /**
   * Where people reach the console (the OpenID Connect redirect URI is `<this>/login/callback`). Cookies are
   * `Secure` unless its host is a loopback address. Default: the address the console listens on.
   */
  @IsOptional()
  @IsUrl(SERVICE_URL)
  KIELTO_CONSOLE_PUBLIC_URL?: string;

  /** A session without a request for this many minutes ends; the person signs in again. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1440)
  KIELTO_CONSOLE_IDLE_MINUTES = 15;

  /** Sessions held at most (in memory); the least recently used one beyond it ends. */
  @Transform(toInt)
  @IsInt()
  @Min(10)
  KIELTO_CONSOLE_MAX_SESSIONS = 10_000;

  /** The console's client id at the OpenID Connect provider (default: KIELTO_OIDC_AUDIENCE). */
  @IsOptional() @IsString() @MinLength(1) KIELTO_OIDC_CLIENT_ID?: string;

  /** Confidential clients only: the client secret sent to the token endpoint (PKCE is used either way). */
  @IsOptional() @IsString() @MinLength(1) KIELTO_OIDC_CLIENT_SECRET?: string;

  /** Scopes asked for at sign-in. */
  @IsString() KIELTO_OIDC_SCOPES = 'openid profile';
}
