import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { ConsentSubjectV1, LEDGER_CHANNELS, LEDGER_PURPOSES, LedgerChannel, LedgerPurpose } from '@kielto/contracts';

/** What an unsubscribe link stands for. The subject is a customer id or an identifier's keyed hash. */
export interface UnsubscribeClaims {
  subject: ConsentSubjectV1;
  channel: LedgerChannel;
  purpose: LedgerPurpose;
  campaignId: string;
}

/** What the issuer adds: who asked for the link (an API key id, not a secret). */
export interface IssuedClaims extends UnsubscribeClaims {
  createdBy: string;
}

export interface VerifiedToken extends UnsubscribeClaims {
  kid: string;
  /** Epoch milliseconds. */
  issuedAt: number;
  /** Epoch milliseconds; the link does nothing from this instant on. */
  expiresAt: number;
  /** Key id of the API key that created the link; absent in links made before it was recorded (v1). */
  createdBy?: string;
  /** Stable id of the token (a digest of its payload): what makes a repeated one-click POST idempotent. */
  tokenId: string;
}

/**
 * The signed payload, in the JSON of the token's first part. Short names keep links short.
 * v1 (before links expired): `iat` in epoch seconds, no `exp`, no `by`.
 * v2: `iat` and `exp` in epoch milliseconds (a revocation must tell a link made just after it from one made
 * just before it), `by` the creating key id.
 */
interface TokenPayload {
  v: 1 | 2;
  kid: string;
  s: { type: ConsentSubjectV1['type']; key: string };
  c: LedgerChannel;
  p: LedgerPurpose;
  cmp: string;
  iat: number;
  exp?: number;
  by?: string;
}

export interface SigningKey {
  kid: string;
  secret: string;
}

const MAX_TOKEN_LENGTH = 1024;
const TOKEN_SHAPE = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{43})$/;
const SUBJECT_TYPES = ['customer', 'email', 'phone'] as const;
const SUBJECT_KEY = /^[A-Za-z0-9_-]{1,128}$/;
const KEY_ID = /^[A-Za-z0-9_-]{1,64}$/;
const DAY_MS = 86_400_000;
/** Form tokens of the preference page are good for this long after the page was rendered. */
export const CSRF_MAX_AGE_SECONDS = 15 * 60;
const CSRF_SHAPE = /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/;

/**
 * Unsubscribe tokens: `base64url(JSON payload) "." base64url(HMAC-SHA256(key[kid], first part))`.
 * The payload names the key id (`kid`) so keys can rotate: the first configured key signs, every configured key
 * verifies. Signatures are compared in constant time, and nothing in the payload is trusted before they match.
 * The payload holds no personal data in clear (the subject is a customer id or a keyed hash). A link works for
 * `ttlDays` (KIELTO_UNSUBSCRIBE_LINK_TTL_DAYS) after it was made: long enough for any message a person still
 * reads, short enough that a leaked link does not work for ever. A link expires at its `exp`, or `ttlDays` after
 * its `iat` if that is sooner (so lowering the setting shortens links already sent, and v1 links, made before
 * links carried an expiry, expire under the same rule).
 *
 * CSRF tokens of the preference page's forms are `<issued epoch s>.base64url(HMAC-SHA256(key, "kielto-csrf-v1\n"
 * tokenId "\n" issued))`: bound to the one unsubscribe token the page was rendered for, unforgeable without the
 * key, and short-lived. The domain-separation prefix keeps them from ever colliding with a token signature.
 */
export class UnsubscribeTokenCodec {
  private readonly signer: SigningKey;
  private readonly keys: Map<string, Buffer>;
  private readonly ttlMs: number;

  constructor(keys: readonly SigningKey[], ttlDays: number) {
    if (keys.length === 0) throw new Error('at least one unsubscribe key is required');
    if (!(ttlDays > 0)) throw new Error('the lifetime of unsubscribe links must be positive');
    this.signer = keys[0];
    this.keys = new Map(keys.map((k) => [k.kid, Buffer.from(k.secret, 'utf8')]));
    this.ttlMs = ttlDays * DAY_MS;
  }

  issue(claims: IssuedClaims, now = Date.now()): string {
    const payload: TokenPayload = {
      v: 2,
      kid: this.signer.kid,
      s: { type: claims.subject.type, key: claims.subject.key },
      c: claims.channel,
      p: claims.purpose,
      cmp: claims.campaignId,
      iat: now,
      exp: now + this.ttlMs,
      by: claims.createdBy,
    };
    const body = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
    return `${body}.${hmac(this.keys.get(this.signer.kid)!, body).toString('base64url')}`;
  }

  /**
   * The token's claims, or undefined for anything not signed by a configured key (tampered, truncated, foreign).
   * An expired token verifies (its claims say it has expired): the caller answers "expired", not "invalid".
   */
  verify(token: unknown): VerifiedToken | undefined {
    if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return undefined;
    const shape = TOKEN_SHAPE.exec(token);
    if (!shape) return undefined;
    const [, body, signature] = shape;
    let payload: unknown;
    try {
      payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      return undefined;
    }
    const kid = typeof payload === 'object' && payload !== null ? (payload as { kid?: unknown }).kid : undefined;
    const key = typeof kid === 'string' ? this.keys.get(kid) : undefined;
    if (!key || !timingSafeEqual(Buffer.from(signature, 'base64url'), hmac(key, body))) return undefined;
    const p = payload as Partial<TokenPayload>;
    // Signed by us, so well-formed unless a key leaked or a future version is read by an old one: check anyway.
    if (
      (p.v !== 1 && p.v !== 2) ||
      typeof p.s !== 'object' ||
      p.s === null ||
      !SUBJECT_TYPES.includes(p.s.type) ||
      typeof p.s.key !== 'string' ||
      !SUBJECT_KEY.test(p.s.key) ||
      !LEDGER_CHANNELS.includes(p.c as LedgerChannel) ||
      !LEDGER_PURPOSES.includes(p.p as LedgerPurpose) ||
      typeof p.cmp !== 'string' ||
      !Number.isSafeInteger(p.iat) ||
      (p.v === 2 && (!Number.isSafeInteger(p.exp) || typeof p.by !== 'string' || !KEY_ID.test(p.by)))
    ) {
      return undefined;
    }
    const issuedAt = p.v === 1 ? p.iat! * 1000 : p.iat!;
    return {
      kid: kid as string,
      subject: { type: p.s.type, key: p.s.key },
      channel: p.c!,
      purpose: p.p!,
      campaignId: p.cmp,
      issuedAt,
      // A lowered TTL applies to links already out, too.
      expiresAt: Math.min(issuedAt + this.ttlMs, p.exp ?? Infinity),
      ...(p.v === 2 ? { createdBy: p.by } : {}),
      tokenId: createHash('sha256').update(body, 'utf8').digest('base64url').slice(0, 22),
    };
  }

  csrfFor(token: VerifiedToken, now = Date.now()): string {
    const issued = Math.floor(now / 1000);
    return `${issued}.${hmac(this.keys.get(this.signer.kid)!, csrfMessage(token, issued)).toString('base64url')}`;
  }

  /** True when `csrf` was issued by `csrfFor` for this token within CSRF_MAX_AGE_SECONDS (by any configured key). */
  verifyCsrf(token: VerifiedToken, csrf: unknown, now = Date.now()): boolean {
    if (typeof csrf !== 'string') return false;
    const shape = CSRF_SHAPE.exec(csrf);
    if (!shape) return false;
    const issued = Number(shape[1]);
    const age = Math.floor(now / 1000) - issued;
    if (age < -60 || age > CSRF_MAX_AGE_SECONDS) return false;
    const presented = Buffer.from(shape[2], 'base64url');
    let valid = false;
    // Every key is tried, so the time taken does not tell which one matched.
    for (const key of this.keys.values()) {
      if (timingSafeEqual(presented, hmac(key, csrfMessage(token, issued)))) valid = true;
    }
    return valid;
  }
}

function csrfMessage(token: VerifiedToken, issued: number): string {
  return `kielto-csrf-v1\n${token.tokenId}\n${issued}`;
}

function hmac(key: Buffer, message: string): Buffer {
  return createHmac('sha256', key).update(message, 'utf8').digest();
}
