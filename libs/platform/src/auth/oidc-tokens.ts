import { createRemoteJWKSet, errors, JWTPayload, jwtVerify } from 'jose';
import { Logger } from '@nestjs/common';
import { Role } from '@kielto/contracts';
import { Actor } from './api-keys';

/** The roles a person may hold through a sign-in token; machines (marketing tools, partners) keep API keys. */
export const PERSON_ROLES: readonly Role[] = ['admin', 'staff', 'dpo'];

/**
 * Asymmetric signatures only: the provider signs with a private key and kielto verifies with the public one from
 * the JWKS. `none` and the HMAC family (HS256…) are never accepted — an HS256 token "signed" with the public key
 * as the secret is the classic forgery against libraries that take the algorithm from the token.
 */
export const OIDC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
];

/** Seconds of clock difference tolerated for `exp` and `nbf` between the provider and this service. */
export const OIDC_CLOCK_TOLERANCE_S = 30;
/** How long a fetch of the discovery document or the key set may take before token calls answer 503. */
const PROVIDER_TIMEOUT_MS = 3_000;
/** A failed discovery is retried at most this often (every token call in between answers 503 at once). */
const DISCOVERY_RETRY_MS = 1_000;
/** A token is a JWS in compact form: three base64url parts (the third empty for `alg: none`). */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
/** Longest token considered: providers' tokens are a few kB; anything longer is refused before parsing. */
const MAX_TOKEN_LENGTH = 16_384;

export interface OidcSettings {
  issuer: string;
  audience: string;
  /** The key set's URL; absent: `jwks_uri` of `<issuer>/.well-known/openid-configuration`. */
  jwksUrl?: string;
  /** The claim holding the person's groups or roles: a top-level name, else a dotted path (`realm_access.roles`). */
  rolesClaim: string;
  /** Claim value → role (only admin, staff, dpo). */
  roleMap: ReadonlyMap<string, Role>;
  /** A token with an unknown `kid` fetches the key set again at most this often. */
  jwksCooldownMs: number;
}

/** A refused token: 401 (invalid), 403 (valid, no role of kielto) or 503 (the provider cannot be reached). */
export interface TokenRefusal {
  status: 401 | 403 | 503;
  type: string;
  detail: string;
}

export const isTokenRefusal = (outcome: Actor | TokenRefusal): outcome is TokenRefusal => 'status' in outcome;

/**
 * `claimValue:role,…`, e.g. `kielto-staff:staff,kielto-dpo:dpo`. The role is after the last colon, so a claim value
 * may itself hold colons (URNs). Throws naming the bad entry, never more of the setting than its position.
 */
export function parseRoleMap(spec: string): Map<string, Role> {
  const map = new Map<string, Role>();
  spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .forEach((entry, index) => {
      const colon = entry.lastIndexOf(':');
      const value = entry.slice(0, colon).trim();
      const role = entry.slice(colon + 1).trim() as Role;
      if (colon <= 0 || value === '' || !PERSON_ROLES.includes(role)) {
        throw new Error(
          `KIELTO_OIDC_ROLE_MAP entry ${index + 1} must be <claim value>:<${PERSON_ROLES.join('|')}> (machines' roles stay with API keys)`,
        );
      }
      map.set(value, role);
    });
  if (map.size === 0) throw new Error('KIELTO_OIDC_ROLE_MAP maps no claim value to a role');
  return map;
}

/** The OIDC settings of a validated environment, or undefined when sign-in tokens are not configured. */
export function oidcSettingsFrom(env: {
  KIELTO_OIDC_ISSUER?: string;
  KIELTO_OIDC_AUDIENCE?: string;
  KIELTO_OIDC_JWKS_URL?: string;
  KIELTO_OIDC_ROLES_CLAIM: string;
  KIELTO_OIDC_ROLE_MAP?: string;
  KIELTO_OIDC_JWKS_COOLDOWN_MS: number;
}): OidcSettings | undefined {
  if (env.KIELTO_OIDC_ISSUER === undefined) return undefined;
  return {
    issuer: env.KIELTO_OIDC_ISSUER,
    audience: env.KIELTO_OIDC_AUDIENCE ?? '',
    jwksUrl: env.KIELTO_OIDC_JWKS_URL,
    rolesClaim: env.KIELTO_OIDC_ROLES_CLAIM,
    roleMap: parseRoleMap(env.KIELTO_OIDC_ROLE_MAP ?? ''),
    jwksCooldownMs: env.KIELTO_OIDC_JWKS_COOLDOWN_MS,
  };
}

/** Highest first: a person holding several roles is rate-limited and recorded under the first they hold. */
const ROLE_ORDER: readonly Role[] = ['admin', 'dpo', 'staff'];

/**
 * Verifies staff's sign-in tokens (OpenID Connect ID or access tokens, JWT) against the provider's key set with
 * `jose`: signature by a key of the JWKS (cached; fetched again when a token names an unknown `kid`, at most once
 * per cooldown), issuer, audience, `exp` and `nbf` with a small leeway, asymmetric algorithms only. The person's
 * roles come from a configurable claim mapped by KIELTO_OIDC_ROLE_MAP.
 *
 * Nothing is fetched while the service starts unless asked (warmUp): an unreachable provider never stops a service.
 * While the key set cannot be fetched, token calls are refused with 503 and API keys keep working.
 */
export class OidcTokenVerifier {
  private readonly logger = new Logger('OidcTokenVerifier');
  private keySet?: ReturnType<typeof createRemoteJWKSet>;
  private discovery?: Promise<ReturnType<typeof createRemoteJWKSet>>;
  private discoveryFailedAt = 0;

  constructor(readonly settings: OidcSettings) {
    if (settings.jwksUrl !== undefined) this.keySet = this.remoteKeySet(settings.jwksUrl);
  }

  /** Whether an Authorization credential has the shape of a token (and not of an API key). */
  static looksLikeToken(credential: string): boolean {
    return credential.length <= MAX_TOKEN_LENGTH && COMPACT_JWS.test(credential);
  }

  /** Fetches the discovery document and the key set ahead of the first token; failures are only logged. */
  async warmUp(): Promise<void> {
    try {
      await this.keys();
    } catch {
      return; // logged where it failed; the first token call tries again
    }
  }

  /** The person a token names, or why it is refused. Never throws. */
  async verify(token: string): Promise<Actor | TokenRefusal> {
    let getKey: ReturnType<typeof createRemoteJWKSet>;
    try {
      getKey = await this.keys();
    } catch {
      return PROVIDER_UNAVAILABLE;
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, getKey, {
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        algorithms: OIDC_ALGORITHMS,
        clockTolerance: OIDC_CLOCK_TOLERANCE_S,
        requiredClaims: ['exp', 'sub'],
      }));
    } catch (error) {
      return this.refusal(error);
    }
    return this.actorOf(payload);
  }

  private actorOf(payload: JWTPayload): Actor | TokenRefusal {
    const sub = payload.sub;
    if (typeof sub !== 'string' || !/^[\x21-\x7e]{1,255}$/.test(sub)) {
      return invalid('The token has no usable subject (sub)');
    }
    const held = new Set<Role>();
    for (const value of claimValues(payload, this.settings.rolesClaim)) {
      const role = this.settings.roleMap.get(value);
      if (role !== undefined) held.add(role);
    }
    const roles = ROLE_ORDER.filter((r) => held.has(r));
    if (roles.length === 0) {
      return {
        status: 403,
        type: 'forbidden',
        detail: `The token's ${this.settings.rolesClaim} claim names no role of kielto`,
      };
    }
    const name = typeof payload.name === 'string' ? cleanName(payload.name) : undefined;
    return { keyId: `oidc:${sub}`, role: roles[0], roles, ...(name ? { name } : {}) };
  }

  /** Why a token failed verification, in words the caller can act on; provider trouble is a 503. */
  private refusal(error: unknown): TokenRefusal {
    if (error instanceof errors.JWTExpired) return invalid('The token has expired');
    if (error instanceof errors.JWTClaimValidationFailed) {
      if (error.claim === 'nbf') return invalid('The token is not valid yet (nbf)');
      if (error.claim === 'iss') return invalid('The token was not issued by the configured provider (iss)');
      if (error.claim === 'aud') return invalid('The token is not meant for kielto (aud)');
      return invalid(`The token's ${error.claim} claim is missing or invalid`);
    }
    if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
      return invalid('The token is not signed with an accepted algorithm');
    }
    if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
      return invalid('The token is not signed by a key of the provider (kid)');
    }
    if (error instanceof errors.JWSSignatureVerificationFailed) return invalid('The token signature is invalid');
    if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid)
      return invalid('The token is malformed');
    // The rest is the provider's: its key set timed out, answered other than 200, was not JSON, or not reachable.
    this.logger.warn({ err: errorName(error), url: this.keySetUrlForLogs() }, 'OIDC key set unavailable');
    return PROVIDER_UNAVAILABLE;
  }

  private async keys(): Promise<ReturnType<typeof createRemoteJWKSet>> {
    if (this.keySet !== undefined) return this.keySet;
    if (this.discovery === undefined) {
      if (Date.now() - this.discoveryFailedAt < DISCOVERY_RETRY_MS) throw new Error('discovery failed recently');
      this.discovery = this.discover().then(
        (url) => (this.keySet = this.remoteKeySet(url)),
        (error: unknown) => {
          this.discovery = undefined;
          this.discoveryFailedAt = Date.now();
          this.logger.warn({ err: errorName(error), issuer: this.settings.issuer }, 'OIDC discovery failed');
          throw error;
        },
      );
    }
    return this.discovery;
  }

  /** `jwks_uri` of the provider's discovery document, whose `issuer` must be the configured one (OIDC Discovery §4.3). */
  private async discover(): Promise<string> {
    const url = `${this.settings.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
    const response = await fetch(url, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(PROVIDER_TIMEOUT_MS),
    });
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`discovery answered ${response.status}`);
    }
    const document = (await response.json()) as { issuer?: unknown; jwks_uri?: unknown };
    if (document.issuer !== this.settings.issuer) throw new Error('discovery names another issuer');
    if (typeof document.jwks_uri !== 'string') throw new Error('discovery has no jwks_uri');
    const jwks = new URL(document.jwks_uri);
    if (jwks.protocol !== 'https:' && jwks.protocol !== 'http:') throw new Error('jwks_uri is not an http(s) URL');
    return jwks.href;
  }

  private remoteKeySet(url: string): ReturnType<typeof createRemoteJWKSet> {
    return createRemoteJWKSet(new URL(url), {
      timeoutDuration: PROVIDER_TIMEOUT_MS,
      cooldownDuration: this.settings.jwksCooldownMs,
    });
  }

  private keySetUrlForLogs(): string {
    return this.settings.jwksUrl ?? `${this.settings.issuer} (discovered)`;
  }
}

const invalid = (detail: string): TokenRefusal => ({ status: 401, type: 'unauthorized', detail });

const PROVIDER_UNAVAILABLE: TokenRefusal = {
  status: 503,
  type: 'identity-provider-unavailable',
  detail: "The sign-in provider's keys cannot be fetched; sign-in tokens are refused until they can. API keys work",
};

/** The values of a claim: a top-level name first (`https://example.fi/roles`), else a dotted path. */
function claimValues(payload: JWTPayload, claim: string): string[] {
  let value: unknown = payload[claim];
  if (value === undefined && claim.includes('.')) {
    value = claim
      .split('.')
      .reduce<unknown>(
        (node, part) =>
          node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined,
        payload,
      );
  }
  if (typeof value === 'string') return value.split(/\s+/).filter(Boolean);
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return [];
}

/** The display name as recorded beside the subject: printable, bounded. */
function cleanName(name: string): string | undefined {
  const cleaned = name
    .replace(/\p{Cc}/gu, '')
    .trim()
    .slice(0, 200);
  return cleaned === '' ? undefined : cleaned;
}

/** The error's class and code, never its message (a message may quote a URL with credentials or a token part). */
function errorName(error: unknown): string {
  // Not `instanceof Error`: fetch's errors may come from another realm. The cause says why a fetch failed.
  const describe = (e: unknown): string | undefined => {
    if (e === null || typeof e !== 'object') return undefined;
    const { name, code } = e as { name?: unknown; code?: unknown };
    return [name, code].filter((part) => typeof part === 'string').join(' ') || undefined;
  };
  const cause = describe((error as { cause?: unknown } | null)?.cause);
  return [describe(error) ?? typeof error, cause].filter(Boolean).join(': ');
}
