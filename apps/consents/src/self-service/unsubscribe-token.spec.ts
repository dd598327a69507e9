import { createHmac } from 'node:crypto';
import { CSRF_MAX_AGE_SECONDS, IssuedClaims, UnsubscribeTokenCodec } from './unsubscribe-token';

const KEY_A = { kid: 'a', secret: 'secret-a-0123456789abcdef' };
const KEY_B = { kid: 'b', secret: 'secret-b-0123456789abcdef' };
const NOW = Date.parse('2025-05-01T12:00:00Z');
const TTL_DAYS = 400;
const DAY = 86_400_000;

function claims(overrides: Partial<IssuedClaims> = {}): IssuedClaims {
  return {
    subject: { type: 'email', key: 'a'.repeat(64) },
    channel: 'email',
    purpose: 'own-marketing',
    campaignId: 'spring-2025',
    createdBy: 'marketing-1a2b3c4d5e6f',
    ...overrides,
  };
}

const sign = (payload: object, secret = KEY_A.secret) => {
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
};

const decode = (token: string) => JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8'));

describe(UnsubscribeTokenCodec.name, () => {
  const codec = new UnsubscribeTokenCodec([KEY_A, KEY_B], TTL_DAYS);

  it('round-trips the claims, names the signing key and the creating key, and expires after the TTL', () => {
    const token = codec.issue(claims(), NOW);
    expect(codec.verify(token)).toMatchObject({
      ...claims(),
      kid: 'a',
      issuedAt: NOW,
      expiresAt: NOW + TTL_DAYS * DAY,
    });
    expect(decode(token)).toEqual({
      v: 2,
      kid: 'a',
      s: claims().subject,
      c: 'email',
      p: 'own-marketing',
      cmp: 'spring-2025',
      iat: NOW,
      exp: NOW + TTL_DAYS * DAY,
      by: 'marketing-1a2b3c4d5e6f',
    });
  });

  it('gives a v1 link (no expiry, made before links expired) the same lifetime from its iat, and no creator', () => {
    const v1 = sign({ v: 1, kid: 'a', s: claims().subject, c: 'email', p: 'all', cmp: 'old', iat: NOW / 1000 });
    const verified = codec.verify(v1);
    expect(verified).toMatchObject({ issuedAt: NOW, expiresAt: NOW + TTL_DAYS * DAY, purpose: 'all' });
    expect(verified).not.toHaveProperty('createdBy');
  });

  it('shortens links already out when the TTL is lowered', () => {
    const token = codec.issue(claims(), NOW);
    expect(new UnsubscribeTokenCodec([KEY_A], 30).verify(token)?.expiresAt).toBe(NOW + 30 * DAY);
  });

  it('carries no e-mail address or phone number in clear, and is URL-path safe', () => {
    const token = codec.issue(claims(), NOW);
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(JSON.stringify(decode(token))).not.toMatch(/@|\+358/);
  });

  it('rejects a changed payload, a changed signature, truncation and garbage', () => {
    const token = codec.issue(claims(), NOW);
    const [body, signature] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ ...decode(token), c: 'all' })).toString('base64url');
    const flipped = signature.slice(0, 10) + (signature[10] === 'A' ? 'B' : 'A') + signature.slice(11);
    for (const bad of [
      `${forged}.${signature}`,
      `${body}.${flipped}`,
      token.slice(0, -1),
      body,
      '',
      'x.y',
      `${token}.x`,
      42,
      null,
    ]) {
      expect(codec.verify(bad)).toBeUndefined();
    }
  });

  it('rejects a token signed with a key it does not hold, or that names an unknown kid', () => {
    const foreign = new UnsubscribeTokenCodec([{ kid: 'a', secret: 'another-secret-0123456789' }], TTL_DAYS).issue(
      claims(),
      NOW,
    );
    expect(codec.verify(foreign)).toBeUndefined();
    const unknownKid = new UnsubscribeTokenCodec([{ kid: 'zz', secret: KEY_A.secret }], TTL_DAYS).issue(claims(), NOW);
    expect(codec.verify(unknownKid)).toBeUndefined();
  });

  it('keeps verifying tokens of an older key after rotation', () => {
    const old = new UnsubscribeTokenCodec([KEY_B], TTL_DAYS).issue(claims(), NOW);
    const rotated = new UnsubscribeTokenCodec([KEY_A, KEY_B], TTL_DAYS);
    expect(rotated.verify(old)?.kid).toBe('b');
    expect(decode(rotated.issue(claims(), NOW)).kid).toBe('a');
  });

  it('rejects a correctly signed payload of the wrong shape', () => {
    const base = { kid: 'a', s: claims().subject, c: 'email', p: 'all', cmp: 'x', iat: 1 };
    for (const payload of [
      { ...base, v: 3, exp: 2, by: 'k' },
      { ...base, v: 2, by: 'k' },
      { ...base, v: 2, exp: 2 },
      { ...base, v: 2, exp: 2, by: 'not a key id' },
      { ...base, v: 2, exp: '2', by: 'k' },
    ]) {
      expect(codec.verify(sign(payload))).toBeUndefined();
    }
    expect(codec.verify(sign({ ...base, v: 2, exp: 2, by: 'k' }))).toBeDefined();
  });

  it('gives one token id per token, different ids for different tokens', () => {
    const one = codec.issue(claims(), NOW);
    expect(codec.verify(one)!.tokenId).toBe(codec.verify(one)!.tokenId);
    expect(codec.verify(one)!.tokenId).not.toBe(codec.verify(codec.issue(claims(), NOW + 1000))!.tokenId);
  });

  describe('CSRF tokens', () => {
    const token = codec.verify(codec.issue(claims(), NOW))!;
    const other = codec.verify(codec.issue(claims({ campaignId: 'other' }), NOW))!;

    it('accepts its own, within its lifetime of at most 15 minutes', () => {
      expect(CSRF_MAX_AGE_SECONDS).toBeLessThanOrEqual(15 * 60);
      const csrf = codec.csrfFor(token, NOW);
      expect(codec.verifyCsrf(token, csrf, NOW + 1000)).toBe(true);
      expect(codec.verifyCsrf(token, csrf, NOW + (CSRF_MAX_AGE_SECONDS + 1) * 1000)).toBe(false);
    });

    it('is bound to the unsubscribe token and cannot be forged or altered', () => {
      const csrf = codec.csrfFor(token, NOW);
      expect(codec.verifyCsrf(other, csrf, NOW)).toBe(false);
      const [issued, mac] = csrf.split('.');
      expect(codec.verifyCsrf(token, `${Number(issued) + 1}.${mac}`, NOW)).toBe(false);
      expect(codec.verifyCsrf(token, `${issued}.${'A'.repeat(43)}`, NOW)).toBe(false);
      expect(codec.verifyCsrf(token, undefined, NOW)).toBe(false);
      expect(codec.verifyCsrf(token, '', NOW)).toBe(false);
    });
  });
});
