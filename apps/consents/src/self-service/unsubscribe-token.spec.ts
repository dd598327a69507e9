import { createHmac } from 'node:crypto';
import { CSRF_MAX_AGE_SECONDS, UnsubscribeClaims, UnsubscribeTokenCodec } from './unsubscribe-token';

const KEY_A = { kid: 'a', secret: 'secret-a-0123456789abcdef' };
const KEY_B = { kid: 'b', secret: 'secret-b-0123456789abcdef' };
const NOW = Date.parse('2025-05-01T12:00:00Z');

function claims(overrides: Partial<UnsubscribeClaims> = {}): UnsubscribeClaims {
  return {
    subject: { type: 'email', key: 'a'.repeat(64) },
    channel: 'email',
    purpose: 'own-marketing',
    campaignId: 'spring-2025',
    ...overrides,
  };
}

const decode = (token: string) => JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8'));

describe(UnsubscribeTokenCodec.name, () => {
  const codec = new UnsubscribeTokenCodec([KEY_A, KEY_B]);

  it('round-trips the claims and names the signing key', () => {
    const token = codec.issue(claims(), NOW);
    expect(codec.verify(token)).toMatchObject({ ...claims(), kid: 'a', issuedAt: NOW / 1000 });
    expect(decode(token)).toEqual({
      v: 1,
      kid: 'a',
      s: claims().subject,
      c: 'email',
      p: 'own-marketing',
      cmp: 'spring-2025',
      iat: NOW / 1000,
    });
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
    const foreign = new UnsubscribeTokenCodec([{ kid: 'a', secret: 'another-secret-0123456789' }]).issue(claims(), NOW);
    expect(codec.verify(foreign)).toBeUndefined();
    const unknownKid = new UnsubscribeTokenCodec([{ kid: 'zz', secret: KEY_A.secret }]).issue(claims(), NOW);
    expect(codec.verify(unknownKid)).toBeUndefined();
  });

  it('keeps verifying tokens of an older key after rotation', () => {
    const old = new UnsubscribeTokenCodec([KEY_B]).issue(claims(), NOW);
    const rotated = new UnsubscribeTokenCodec([KEY_A, KEY_B]);
    expect(rotated.verify(old)?.kid).toBe('b');
    expect(decode(rotated.issue(claims(), NOW)).kid).toBe('a');
  });

  it('rejects a correctly signed payload of the wrong shape', () => {
    const body = Buffer.from(
      JSON.stringify({ v: 2, kid: 'a', s: claims().subject, c: 'email', p: 'all', cmp: 'x', iat: 1 }),
    ).toString('base64url');
    const signature = createHmac('sha256', KEY_A.secret).update(body).digest('base64url');
    expect(codec.verify(`${body}.${signature}`)).toBeUndefined();
  });

  it('gives one token id per token, different ids for different tokens', () => {
    const one = codec.issue(claims(), NOW);
    expect(codec.verify(one)!.tokenId).toBe(codec.verify(one)!.tokenId);
    expect(codec.verify(one)!.tokenId).not.toBe(codec.verify(codec.issue(claims(), NOW + 1000))!.tokenId);
  });

  describe('CSRF tokens', () => {
    const token = codec.verify(codec.issue(claims(), NOW))!;
    const other = codec.verify(codec.issue(claims({ campaignId: 'other' }), NOW))!;

    it('accepts its own, within its lifetime', () => {
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
