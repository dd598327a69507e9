import { hash } from 'node:crypto';
import { Role, ROLES } from '@kielto/contracts';
import { Actor, ApiKeyRegistry } from '../auth/api-keys';
import { isTokenRefusal, OidcTokenVerifier } from '../auth/oidc-tokens';
import { SlidingWindowLimiter } from './sliding-window-limiter';

/** Requests per minute each role may make with one key, unless KIELTO_RATE_LIMITS says otherwise. */
export const DEFAULT_RATE_LIMITS: Readonly<Record<Role, number>> = {
  // People at a desk or an admin script: generous for a person, far below what a scraping loop does.
  admin: 6_000,
  staff: 6_000,
  // Identity-code reads are individual requests of data subjects.
  dpo: 600,
  // Machines: a marketing tool asks before every message, a partner checks its lists (~2 000/s each).
  marketing: 120_000,
  partner: 120_000,
};

export interface AccessLimits {
  perRole: Record<Role, number>;
  /** Failed authentications per client address and minute; beyond, the address gets 429 on every door. */
  authFailures: number;
  /** Calls per client address and minute to each public, rate-limited route (self-service pages). */
  publicRoute: number;
  /** Calls per client address and minute to a signed webhook. */
  webhook: number;
  /** Counters kept at most, per kind (keys, failing addresses, public callers). */
  maxTracked: number;
}

/** A refusal: the status, problem type and detail of the problem+json, and Retry-After for 429 and 503. */
export interface Denial {
  /** 503: a sign-in token while the provider's keys cannot be fetched. */
  status: 401 | 403 | 429 | 503;
  type: string;
  detail: string;
  retryAfter?: number;
  /** The caller when its key was valid (403, 429): recorded in the audit trail. */
  actor?: Actor;
}

export type Admission = Actor | Denial;
/** API keys are decided at once; a sign-in token needs its signature verified (and maybe the key set fetched). */
export type PendingAdmission = Admission | Promise<Admission>;
export const isDenial = (admission: Admission | undefined): admission is Denial =>
  admission !== undefined && 'status' in admission;

const UNAUTHORIZED: Denial = {
  status: 401,
  type: 'unauthorized',
  detail: 'A valid API key or sign-in token is required: Authorization: Bearer <key or token>',
};
/** Seconds a caller is told to wait while the sign-in provider cannot be reached. */
const PROVIDER_RETRY_AFTER_S = 5;
const BEARER = /^Bearer\s+(\S+)$/i;

/**
 * The security policy of every door into a service — Nest routes (authenticated in Fastify's onRequest, before
 * the body is read) and the suppression fast path alike: who is the caller, may the role call the route, and is
 * the caller within its rate. One instance per process, so a key has one budget whatever the door or the
 * spelling of the URL.
 *
 * - Authentication: the registry (constant time over all keys); known keys are remembered by the SHA-256 of the
 *   presented key, so a repeat costs one hash and one Map lookup. A credential that is no key and has the shape of
 *   a JWT is a person's sign-in token when OpenID Connect is configured (OidcTokenVerifier): its admission is
 *   asynchronous, every other step is the same.
 * - Authorisation: admin may call every authenticated route; other roles the routes that name them; a person may
 *   call what any of their roles may.
 * - Rates: per key by role; failed authentications per client address (an address over its budget is refused
 *   before its key is even looked at, so guessing keys stops paying); public routes per client address.
 */
export class AccessPolicy {
  private readonly known = new Map<string, Actor>();
  private readonly perKey: SlidingWindowLimiter;
  private readonly failures: SlidingWindowLimiter;
  private readonly publicCalls: SlidingWindowLimiter;

  constructor(
    private readonly keys: ApiKeyRegistry,
    readonly limits: AccessLimits,
    /** Staff's sign-in tokens (OpenID Connect); absent when not configured. */
    readonly tokens?: OidcTokenVerifier,
  ) {
    this.perKey = new SlidingWindowLimiter(60_000, limits.maxTracked);
    this.failures = new SlidingWindowLimiter(60_000, limits.maxTracked);
    this.publicCalls = new SlidingWindowLimiter(60_000, limits.maxTracked);
  }

  /** The actor of an `Authorization: Bearer <key>` header (API keys only), or undefined. */
  authenticate(authorization: string | string[] | undefined): Actor | undefined {
    if (typeof authorization !== 'string') return undefined;
    const match = BEARER.exec(authorization);
    if (match === null) return undefined;
    const digest = hash('sha256', match[1], 'base64');
    const cached = this.known.get(digest);
    if (cached !== undefined) return cached;
    const actor = this.keys.authenticate(match[1]);
    // Bounded by the number of configured keys: only keys that authenticate are remembered.
    if (actor !== undefined) this.known.set(digest, actor);
    return actor;
  }

  /** Admin may call every authenticated route; other roles the routes that name them. */
  mayCall(actor: Actor, roles: readonly Role[]): boolean {
    return (actor.roles ?? [actor.role]).some((role) => role === 'admin' || roles.includes(role));
  }

  /**
   * The decision for a call to an authenticated route: the actor, or why not. Immediate for an API key (and every
   * refusal before a token is looked at); a promise, which never rejects, for a sign-in token.
   */
  admit(
    authorization: string | string[] | undefined,
    roles: readonly Role[],
    client: string,
    now = Date.now(),
  ): PendingAdmission {
    if (this.failures.size > 0) {
      const blocked = this.failures.exceeded(client, this.limits.authFailures, now);
      if (blocked > 0) return tooMany('Too many failed authentications from this address', blocked);
    }
    const actor = this.authenticate(authorization);
    if (actor === undefined) {
      const token = this.tokens !== undefined ? tokenOf(authorization) : undefined;
      if (token !== undefined) return this.admitToken(this.tokens!, token, roles, client);
      this.failures.count(client, now);
      return UNAUTHORIZED;
    }
    return this.authorise(actor, roles, now);
  }

  private async admitToken(
    tokens: OidcTokenVerifier,
    token: string,
    roles: readonly Role[],
    client: string,
  ): Promise<Admission> {
    let outcome: Awaited<ReturnType<OidcTokenVerifier['verify']>>;
    try {
      outcome = await tokens.verify(token);
    } catch {
      outcome = { status: 503, type: 'identity-provider-unavailable', detail: 'The sign-in token cannot be checked' };
    }
    const now = Date.now();
    if (!isTokenRefusal(outcome)) return this.authorise(outcome, roles, now);
    // A bad token is a failed authentication like a bad key; the provider being away is not the caller's doing.
    if (outcome.status === 401) this.failures.count(client, now);
    return outcome.status === 503 ? { ...outcome, retryAfter: PROVIDER_RETRY_AFTER_S } : outcome;
  }

  private authorise(actor: Actor, roles: readonly Role[], now: number): Admission {
    if (!this.mayCall(actor, roles)) return forbidden(actor);
    const wait = this.perKey.hit(actor.keyId, this.limits.perRole[actor.role], now);
    const whose = actor.keyId.startsWith('oidc:') ? 'this person' : 'this API key';
    return wait > 0 ? { ...tooMany(`The rate limit of ${whose} is exceeded`, wait), actor } : actor;
  }

  /**
   * Counts a failed authentication that another mechanism decided (a webhook's bad signature) against the client
   * address, and tells whether the address is over its budget.
   */
  countFailure(client: string, now = Date.now()): void {
    this.failures.count(client, now);
  }

  /** The decision for a public route with a budget per client address (self-service pages, webhooks). */
  admitPublic(route: string, kind: 'page' | 'webhook', client: string, now = Date.now()): Denial | undefined {
    const blocked = this.failures.size > 0 ? this.failures.exceeded(client, this.limits.authFailures, now) : 0;
    if (blocked > 0) return tooMany('Too many failed authentications from this address', blocked);
    const limit = kind === 'webhook' ? this.limits.webhook : this.limits.publicRoute;
    const wait = this.publicCalls.hit(`${route} ${client}`, limit, now);
    return wait > 0 ? tooMany('Too many requests from this address', wait) : undefined;
  }
}

/** The credential of `Bearer <credential>` when it has the shape of a sign-in token (JWT). */
function tokenOf(authorization: string | string[] | undefined): string | undefined {
  if (typeof authorization !== 'string') return undefined;
  const credential = BEARER.exec(authorization)?.[1];
  return credential !== undefined && OidcTokenVerifier.looksLikeToken(credential) ? credential : undefined;
}

const forbidden = (actor: Actor): Denial => ({
  status: 403,
  type: 'forbidden',
  detail: `The ${actor.role} role may not call this route`,
  actor,
});
const tooMany = (detail: string, retryAfter: number): Denial => ({
  status: 429,
  type: 'too-many-requests',
  detail,
  retryAfter,
});

/**
 * Limits from the environment: KIELTO_RATE_LIMITS (`role:perMinute,…`) over KIELTO_RATE_LIMIT_PER_MINUTE (every
 * role) over the defaults per role.
 */
export function accessLimitsFrom(env: {
  KIELTO_RATE_LIMITS?: string;
  KIELTO_RATE_LIMIT_PER_MINUTE?: number;
  KIELTO_AUTH_FAILURES_PER_MINUTE: number;
  KIELTO_PUBLIC_RATE_LIMIT_PER_MINUTE: number;
  KIELTO_WEBHOOK_RATE_LIMIT_PER_MINUTE: number;
}): AccessLimits {
  const perRole = { ...DEFAULT_RATE_LIMITS };
  if (env.KIELTO_RATE_LIMIT_PER_MINUTE !== undefined)
    for (const role of ROLES) perRole[role] = env.KIELTO_RATE_LIMIT_PER_MINUTE;
  for (const [role, limit] of parseRateLimits(env.KIELTO_RATE_LIMITS ?? '')) perRole[role] = limit;
  return {
    perRole,
    authFailures: env.KIELTO_AUTH_FAILURES_PER_MINUTE,
    publicRoute: env.KIELTO_PUBLIC_RATE_LIMIT_PER_MINUTE,
    webhook: env.KIELTO_WEBHOOK_RATE_LIMIT_PER_MINUTE,
    maxTracked: 100_000,
  };
}

/** `role:perMinute,…`; throws naming the bad entry. */
export function parseRateLimits(spec: string): [Role, number][] {
  return spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry, index) => {
      const match = /^([a-z]+):([1-9][0-9]{0,9})$/.exec(entry);
      const role = match?.[1] as Role | undefined;
      if (!match || !role || !ROLES.includes(role)) {
        throw new Error(`KIELTO_RATE_LIMITS entry ${index + 1} must be <${ROLES.join('|')}>:<requests per minute>`);
      }
      return [role, Number(match[2])];
    });
}
