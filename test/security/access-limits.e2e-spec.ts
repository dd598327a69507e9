import request from 'supertest';
import { bearer, eventually, startStack, Stack } from '../support/stack';

const HASH = 'a'.repeat(64);
const CHECK = `/v1/suppression/check?channel=email&purpose=own-marketing&emailHash=${HASH}`;

/**
 * Issue 19 (3, 11): one access policy at every door. A key's budget is shared by the fast path, an encoded
 * path and HEAD; failed authentications are counted per client address (behind KIELTO_TRUST_PROXY=1, the
 * address the proxy saw); the self-service pages and the SMS webhook are limited per address.
 */
describe('access limits at every door', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack(['consents', 'suppression'], {
      KIELTO_RATE_LIMITS: 'partner:6',
      KIELTO_AUTH_FAILURES_PER_MINUTE: '4',
      KIELTO_PUBLIC_RATE_LIMIT_PER_MINUTE: '3',
      KIELTO_WEBHOOK_RATE_LIMIT_PER_MINUTE: '3',
      KIELTO_TRUST_PROXY: '1',
    });
  });
  afterAll(() => stack?.close());

  const from = (address: string) => ({ 'X-Forwarded-For': `198.51.100.1, ${address}` });

  it('spends one budget per key through the fast path, /v1/suppression/%63heck and HEAD', async () => {
    const base = stack.urls.suppression;
    const statuses: number[] = [];
    for (let i = 0; i < 2; i++)
      statuses.push((await request(base).get(CHECK).set(bearer('partner')).set(from('203.0.113.1'))).status);
    for (let i = 0; i < 2; i++)
      statuses.push(
        (await request(base).get(CHECK.replace('check', '%63heck')).set(bearer('partner')).set(from('203.0.113.1')))
          .status,
      );
    for (let i = 0; i < 2; i++)
      statuses.push((await request(base).head(CHECK).set(bearer('partner')).set(from('203.0.113.1'))).status);
    expect(statuses.filter((s) => s === 429)).toEqual([]);

    for (const path of [CHECK, CHECK.replace('check', '%63heck')]) {
      const limited = await request(base).get(path).set(bearer('partner')).set(from('203.0.113.1'));
      expect(limited.status).toBe(429);
      expect(limited.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    }
    expect((await request(base).head(CHECK).set(bearer('partner'))).status).toBe(429);
    // Another key is not affected.
    expect((await request(base).get(CHECK).set(bearer('marketing'))).status).not.toBe(429);
  });

  it('counts failed authentications per client address: past the budget, that address gets 429 even with a valid key', async () => {
    const base = stack.urls.suppression;
    for (let i = 0; i < 2; i++) {
      expect(
        (await request(base).get(CHECK).set('Authorization', `Bearer guess-${i}-0123456789`).set(from('203.0.113.9')))
          .status,
      ).toBe(401);
      const nest = await request(base)
        .get('/v1/suppression/entries')
        .set('Authorization', `Bearer guess-${i}`)
        .set(from('203.0.113.9'));
      expect(nest.status).toBe(401);
    }
    const blocked = await request(base).get(CHECK).set(bearer('marketing')).set(from('203.0.113.9'));
    expect(blocked.status).toBe(429);
    const blockedNest = await request(base)
      .get('/v1/suppression/entries')
      .query({ emailHash: HASH })
      .set(bearer('staff'))
      .set(from('203.0.113.9'));
    expect(blockedNest.status).toBe(429);
    // Refusals at the fast path are audited like the Nest routes' (no key id: the caller had no valid key).
    const audited = await eventually(async () => {
      const res = await request(base).get('/v1/audit').query({ route: '/v1/suppression/check' }).set(bearer('admin'));
      const rows = res.body as { actor: string; status: number }[];
      return rows.filter((r) => r.status === 401).length >= 2 && rows;
    });
    expect(audited.filter((r) => r.status === 401).every((r) => r.actor === 'anonymous')).toBe(true);
    // The proxy's own address and other clients behind it keep their budgets.
    expect((await request(base).get(CHECK).set(bearer('marketing')).set(from('203.0.113.10'))).status).not.toBe(429);
  });

  it('limits the self-service pages and the SMS webhook per client address', async () => {
    const base = stack.urls.consents;
    const page = () => request(base).get('/u/not-a-real-token').set(from('203.0.113.20'));
    for (let i = 0; i < 3; i++) expect((await page()).status).not.toBe(429);
    const limited = await page();
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect((await request(base).get('/u/not-a-real-token').set(from('203.0.113.21'))).status).not.toBe(429);

    const sms = () =>
      request(base)
        .post('/v1/inbound/sms')
        .set(from('203.0.113.22'))
        .set('content-type', 'application/json')
        .send('{}');
    for (let i = 0; i < 3; i++) expect((await sms()).status).toBe(401);
    expect((await sms()).status).toBe(429);
  });
});
