import { exportSPKI, SignJWT } from 'jose';
import request from 'supertest';
import { signingKey, TestOidcProvider, tokenBearer } from '../support/oidc-provider';
import { bearer, eventually, startStack, Stack } from '../support/stack';

interface AuditRow {
  actor: string;
  actorName?: string;
  role: string;
  method: string;
  route: string;
}

const expectProblem = (res: request.Response, status: number) => {
  expect({ status: res.status, type: res.headers['content-type'] }).toEqual({
    status,
    type: expect.stringContaining('application/problem+json'),
  });
  expect(res.body).toMatchObject({ status, detail: expect.any(String) });
};

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * Issue 16 (2): staff sign in as themselves with the organisation's OpenID Connect provider, a real key endpoint on
 * loopback here. The provider is down while the services start: they start anyway, API keys work and tokens get 503
 * until the key set can be fetched.
 */
describe('staff sign-in with OpenID Connect tokens', () => {
  const provider = new TestOidcProvider();
  let stack: Stack;
  const staff = { sub: 'u-1001', name: 'Sari Staff', groups: ['kielto-staff', 'everyone'] };

  beforeAll(async () => {
    await provider.start();
    provider.keys = [await signingKey('key-1', 'RS256')];
    provider.down = true;
    stack = await startStack(['customers', 'suppression'], provider.env());
  });
  afterAll(async () => {
    await stack?.close();
    await provider.close();
  });

  const createCustomer = (headers: Record<string, string>) =>
    request(stack.urls.customers)
      .post('/v1/customers')
      .set(headers)
      .send({ kind: 'person', name: 'Olli Oidc', emails: [`oidc.${Date.now()}@example.fi`] });

  it('an unreachable provider stops nothing: API keys work, tokens get 503 until the keys can be fetched', async () => {
    expect((await createCustomer(bearer('staff'))).status).toBe(201);
    const token = await provider.token(staff);
    const refused = await createCustomer(tokenBearer(token));
    expectProblem(refused, 503);
    expect(refused.body.type).toContain('identity-provider-unavailable');
    expect(refused.headers['retry-after']).toBeDefined();
    // The fast path of suppression shares the policy: the same answer there.
    const check = await request(stack.urls.suppression)
      .get('/v1/suppression/check')
      .query({ channel: 'email', purpose: 'own-marketing', email: 'nobody@example.fi' })
      .set(tokenBearer(token));
    expectProblem(check, 503);

    provider.down = false;
    await eventually(async () => (await createCustomer(tokenBearer(token))).status === 201, 15_000, 'token accepted');
  });

  it('records the person (sub and name) as the actor of a write, never the token', async () => {
    const token = await provider.token(staff);
    const created = await createCustomer(tokenBearer(token));
    expect(created.status).toBe(201);
    const rows = await eventually(async () => {
      const res = await request(stack.urls.customers)
        .get('/v1/audit')
        .query({ actor: 'oidc:u-1001' })
        .set(bearer('admin'));
      return res.status === 200 && (res.body as AuditRow[]).length > 0 && (res.body as AuditRow[]);
    });
    expect(rows[0]).toMatchObject({ actor: 'oidc:u-1001', actorName: 'Sari Staff', role: 'staff', method: 'POST' });
    expect(JSON.stringify(rows)).not.toContain(token.split('.')[2]);
  });

  it('grants what the mapped roles allow: staff may not search identity codes, dpo may', async () => {
    const search = (token: string) =>
      request(stack.urls.customers)
        .post('/v1/customers/search')
        .set(tokenBearer(token))
        .send({ personalIdentityCode: '010594Y202E' });
    expectProblem(await search(await provider.token(staff)), 403);
    const dpo = await provider.token({ sub: 'u-2002', groups: ['kielto-dpo'] });
    expect((await search(dpo)).status).toBe(200);
    // Both roles: the person may call what either allows.
    const both = await provider.token({ sub: 'u-3003', groups: ['kielto-staff', 'kielto-dpo'] });
    expect((await search(both)).status).toBe(200);
    expect((await createCustomer(tokenBearer(both))).status).toBe(201);
  });

  it('answers the suppression fast path for a signed-in staff member', async () => {
    const token = await provider.token(staff);
    await eventually(async () => {
      const res = await request(stack.urls.suppression)
        .get('/v1/suppression/check')
        .query({ channel: 'email', purpose: 'own-marketing', email: 'nobody@example.fi' })
        .set(tokenBearer(token));
      return res.status === 200 && res.body.decision === 'suppress';
    });
  });

  it('refuses expired, not yet valid, foreign, misaddressed, unknown-key, unsigned and HS256 tokens (401)', async () => {
    const stranger = await signingKey('key-unknown', 'RS256');
    const publicPem = await exportSPKI(provider.keys[0].publicKey);
    const now = Math.floor(Date.now() / 1000);
    const claims = { ...staff, iss: provider.issuer, aud: 'kielto-test', iat: now, exp: now + 300 };
    const cases: Record<string, string> = {
      expired: await provider.token(staff, { expiresIn: -120 }),
      'not yet valid': await provider.token(staff, { notBefore: 600 }),
      'wrong issuer': await provider.token(staff, { issuer: 'https://evil.example' }),
      'wrong audience': await provider.token(staff, { audience: 'another-app' }),
      'unknown kid': await provider.token(staff, { key: stranger }),
      'alg none': `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(claims)}.`,
      'HS256 with the public key as secret': await new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256', kid: 'key-1' })
        .sign(new TextEncoder().encode(publicPem)),
      'tampered payload': (await provider.token(staff)).replace(/\.[^.]+\./, `.${base64url({ ...claims, sub: 'x' })}.`),
    };
    for (const [what, token] of Object.entries(cases)) {
      const res = await createCustomer(tokenBearer(token));
      expect({ what, status: res.status }).toEqual({ what, status: 401 });
      expectProblem(res, 401);
    }
  });

  it('refuses a valid token without a mapped role (403)', async () => {
    for (const groups of [['everyone'], undefined]) {
      const token = await provider.token({ sub: 'u-4004', ...(groups ? { groups } : {}) });
      expectProblem(await createCustomer(tokenBearer(token)), 403);
    }
  });

  it('follows key rotation at the provider without a restart', async () => {
    const before = provider.jwksFetches;
    const old = provider.keys[0];
    const next = await signingKey('key-2', 'ES256');
    provider.keys = [next];
    const rotated = await provider.token(staff, { key: next });
    expect((await createCustomer(tokenBearer(rotated))).status).toBe(201);
    expect(provider.jwksFetches).toBeGreaterThan(before);
    // The retired key no longer signs anything kielto accepts.
    expectProblem(await createCustomer(tokenBearer(await provider.token(staff, { key: old }))), 401);
  });

  it('keeps API keys and cached keys working while the provider is down; a new key then waits (503)', async () => {
    provider.down = true;
    try {
      expect((await createCustomer(bearer('staff'))).status).toBe(201);
      expect((await createCustomer(tokenBearer(await provider.token(staff)))).status).toBe(201);
      const unseen = await signingKey('key-3', 'RS256');
      provider.keys = [...provider.keys, unseen];
      expectProblem(await createCustomer(tokenBearer(await provider.token(staff, { key: unseen }))), 503);
    } finally {
      provider.down = false;
    }
  });
});
