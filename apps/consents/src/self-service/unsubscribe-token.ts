import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { ConsentSubjectV1, LEDGER_CHANNELS, LEDGER_PURPOSES, LedgerChannel, LedgerPurpose } from '@kielto/contracts';

/** What an unsubscribe link stands for. The subject is a customer id or an identifier's keyed hash. */
export interface UnsubscribeClaims {
  subject: ConsentSubjectV1;
  channel: LedgerChannel;
  purpose: LedgerPurpose;
  campaignId: string;
}

export interface VerifiedToken extends UnsubscribeClaims {
  kid: string;
  /** Epoch seconds. */
  issuedAt: number;
  /** Stable id of the token (a digest of its payload): what makes a repeated one-click POST idempotent. */
  tokenId: string;
}

/** The signed payload, in the JSON of the token's first part. Short names keep links short. */
interface TokenPayloadV1 {
  v: 1;
  kid: string;
  s: { type: ConsentSubjectV1['type']; key: string };
  c: LedgerChannel;
  p: LedgerPurpose;
  cmp: string;
  iat: number;
}

export interface SigningKey {
  kid: string;
  secret: string;
}

const MAX_TOKEN_LENGTH = 1024;
const TOKEN_SHAPE = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{43})$/;
const SUBJECT_TYPES = ['customer', 'email', 'phone'] as const;
const SUBJECT_KEY = /^[A-Za-z0-9_-]{1,128}$/;
/** Form tokens of the preference page are good for this long after the page was rendered. */
export const CSRF_MAX_AGE_SECONDS = 2 * 3600;
const CSRF_SHAPE = /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/;

/**
 * Unsubscribe tokens: `base64url(JSON payload) "." base64url(HMAC-SHA256(key[kid], first part))`.
 * The payload names the key id (`kid`) so keys can rotate: the first configured key signs, every configured key
 * verifies. Signatures are compared in constant time, and nothing in the payload is trusted before they match.
 * The payload holds no personal data in clear (the subject is a customer id or a keyed hash), and no expiry:
 * an unsubscribe link in an old message must keep working.
 *
 * CSRF tokens of the preference page's forms are `<issued epoch s>.base64url(HMAC-SHA256(key, "kielto-csrf-v1\n"
 * tokenId "\n" issued))`: bound to the one unsubscribe token the page was rendered for, unforgeable without the
 * key, and short-lived. The domain-separation prefix keeps them from ever colliding with a token signature.
 */
export class UnsubscribeTokenCodec {
  private readonly signer: SigningKey;
  private readonly keys: Map<string, Buffer>;

  constructor(keys: readonly SigningKey[]) {
    if (keys.length === 0) throw new Error('at least one unsubscribe key is required');
    this.signer = keys[0];
    this.keys = new Map(keys.map((k) => [k.kid, Buffer.from(k.secret, 'utf8')]));
  }

  issue(claims: UnsubscribeClaims, now = Date.now()): string {
    const payload: TokenPayloadV1 = {
      v: 1,
      kid: this.signer.kid,
      s: { type: claims.subject.type, key: claims.subject.key },
      c: claims.channel,
      p: claims.purpose,
      cmp: claims.campaignId,
      iat: Math.floor(now / 1000),
    };
    const body = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
    return `${body}.${hmac(this.keys.get(this.signer.kid)!, body).toString('base64url')}`;
  }

  /** The token's claims, or undefined for anything not signed by a configured key (tampered, truncated, foreign). */
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
    const p = payload as Partial<TokenPayloadV1>;
    // Signed by us, so well-formed unless a key leaked or a future version is read by an old one: check anyway.
    if (
      p.v !== 1 ||
      typeof p.s !== 'object' ||
      p.s === null ||
      !SUBJECT_TYPES.includes(p.s.type) ||
      typeof p.s.key !== 'string' ||
      !SUBJECT_KEY.test(p.s.key) ||
      !LEDGER_CHANNELS.includes(p.c as LedgerChannel) ||
      !LEDGER_PURPOSES.includes(p.p as LedgerPurpose) ||
      typeof p.cmp !== 'string' ||
      !Number.isInteger(p.iat)
    ) {
      return undefined;
    }
    return {
      kid: kid as string,
      subject: { type: p.s.type, key: p.s.key },
      channel: p.c!,
      purpose: p.p!,
      campaignId: p.cmp,
      issuedAt: p.iat!,
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
