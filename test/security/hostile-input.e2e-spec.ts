import request from 'supertest';
import { bearer, startStack, Stack } from '../support/stack';

const grant = { email: 'hostile@example.fi', channel: 'email', purpose: 'all', decision: 'grant', source: 'web-form' };

describe('hostile input is contained', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack(['consents'], { KIELTO_RATE_LIMIT_PER_MINUTE: '40' });
  });
  afterAll(() => stack?.close());

  const post = (body: string | object, contentType = 'application/json') =>
    request(stack.urls.consents).post('/v1/consents').set(bearer('staff')).set('content-type', contentType).send(body);

  const history = async () =>
    (await request(stack.urls.consents).get('/v1/consents').query({ email: grant.email }).set(bearer('staff'))).body
      .history as unknown[];

  it('answers 413 problem for a body over the limit, and writes nothing', async () => {
    const res = await post(JSON.stringify({ ...grant, source: 'x'.repeat(2 * 1024 * 1024) }));
    expect(res.status).toBe(413);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(await history()).toEqual([]);
  });

  it('answers 415 problem for a wrong content type', async () => {
    const res = await post('channel=email', 'text/plain');
    expect(res.status).toBe(415);
    expect(res.body.errors).toEqual([expect.objectContaining({ field: 'content-type' })]);
  });

  it('answers 400 problem for deeply nested JSON and for unknown fields', async () => {
    let deep: unknown = {};
    for (let i = 0; i < 200; i++) deep = { a: deep };
    const tooDeep = await post({ ...grant, evidence: deep });
    expect(tooDeep.status).toBe(400);
    expect(tooDeep.body.errors).toEqual([expect.objectContaining({ field: 'body' })]);

    const unknown = await post({ ...grant, isAdmin: true });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors).toEqual([expect.objectContaining({ field: 'isAdmin' })]);
    expect(await history()).toEqual([]);
  });

  it('sets security headers and no CORS headers unless configured', async () => {
    const res = await request(stack.urls.consents).get('/health/live').set('Origin', 'https://evil.example');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('rate-limits per key with 429 problem and Retry-After, without affecting other keys', async () => {
    let limited: request.Response | undefined;
    for (let i = 0; i < 60 && !limited; i++) {
      const res = await request(stack.urls.consents)
        .get('/v1/consents')
        .query({ email: grant.email })
        .set(bearer('staff'));
      if (res.status === 429) limited = res;
    }
    expect(limited).toBeDefined();
    expect(limited!.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(Number(limited!.headers['retry-after'])).toBeGreaterThan(0);
    const admin = await request(stack.urls.consents)
      .get('/v1/consents')
      .query({ email: grant.email })
      .set(bearer('admin'));
    expect(admin.status).toBe(200);
  });
});
