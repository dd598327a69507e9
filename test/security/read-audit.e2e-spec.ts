import { createHmac } from 'node:crypto';
import request from 'supertest';
import { signingKey, TestOidcProvider, tokenBearer } from '../support/oidc-provider';
import { bearer, eventually, MONGODB_URI, PARTNER_HASH_KEY, startStack, Stack } from '../support/stack';

interface AuditRow {
  _id: string;
  at: string;
  actor: string;
  actorName?: string;
  role: string;
  service: string;
  method: string;
  route: string;
  target?: Record<string, string>;
  requestId?: string;
}

/**
 * Issue 16 (3): every read of personal data by a person (or admin) leaves a record — who, which route, whose data,
 * when, which request — and `GET /v1/audit?subject=<customerId>` on customers answers who has looked at the person,
 * gathered from all four services. Reads by subject are by `_id` (pages `<subject>#<n>`).
 */
describe('who read my data: read audit across the four services', () => {
  const provider = new TestOidcProvider();
  let stack: Stack;
  let customerId: string;
  let otherId: string;
  const email = `luettu.${Date.now()}@example.fi`;
  const identityCode = '131052-308T';
  const staff = { sub: 'u-reader', name: 'Reija Reader', groups: ['kielto-staff'] };
  const dpo = { sub: 'u-dpo', name: 'Tiina Tietosuoja', groups: ['kielto-dpo'] };

  beforeAll(async () => {
    await provider.start();
    provider.keys = [await signingKey('key-1', 'ES256')];
    stack = await startStack(['consents', 'directory-bans', 'suppression', 'customers'], provider.env());
    const created = await request(stack.urls.customers)
      .post('/v1/customers')
      .set(bearer('staff'))
      .send({
        kind: 'person',
        name: 'Lauri Luettava',
        personalIdentityCode: identityCode,
        emails: [email],
        phones: ['+358401234567'],
        activeContract: true,
      });
    expect(created.status).toBe(201);
    customerId = (created.body as { id: string }).id;
    const other = await request(stack.urls.customers)
      .post('/v1/customers')
      .set(bearer('staff'))
      .send({ kind: 'person', name: 'Toinen Henkilö' });
    otherId = (other.body as { id: string }).id;
    const ban = await request(stack.urls['directory-bans'])
      .put(`/v1/directory-bans/${customerId}`)
      .set(bearer('staff'))
      .send({ scope: 'full' });
    expect(ban.status).toBe(200);
  });
  afterAll(async () => {
    await stack?.close();
    await provider.close();
  });

  const trail = async (subject: string) => {
    const res = await request(stack.urls.customers).get('/v1/audit').query({ subject }).set(bearer('admin'));
    expect(res.status).toBe(200);
    return res.body as AuditRow[];
  };

  it('records every read by a person in each service and answers the subject on customers, newest first', async () => {
    const asStaff = tokenBearer(await provider.token(staff));
    const asDpo = tokenBearer(await provider.token(dpo));
    const reads: [string, string, Record<string, string>, string][] = [
      ['customers', `/v1/customers/${customerId}`, asStaff, '/v1/customers/:id'],
      ['customers', `/v1/customers?email=${encodeURIComponent(email)}`, asStaff, '/v1/customers'],
      ['consents', `/v1/consents?customerId=${customerId}`, asStaff, '/v1/consents'],
      ['directory-bans', `/v1/directory-bans/${customerId}`, asStaff, '/v1/directory-bans/:customerId'],
      ['directory-bans', `/v1/directory-bans/${customerId}/history`, asStaff, '/v1/directory-bans/:customerId/history'],
      ['suppression', `/v1/suppression/entries?customerId=${customerId}`, asStaff, '/v1/suppression/entries'],
      ['customers', `/v1/customers/${customerId}/export`, asDpo, '/v1/customers/:id/export'],
      // The DPO reads what a person's page shows (the console): audited like anyone's reads.
      ['customers', `/v1/customers/${customerId}`, asDpo, '/v1/customers/:id'],
      ['consents', `/v1/consents?customerId=${customerId}`, asDpo, '/v1/consents'],
      ['directory-bans', `/v1/directory-bans/${customerId}/history`, asDpo, '/v1/directory-bans/:customerId/history'],
    ];
    const requestIds: string[] = [];
    for (const [service, path, headers] of reads) {
      const requestId = `read-${requestIds.length}-${Date.now()}`;
      const res = await request(stack.urls[service as keyof Stack['urls']])
        .get(path)
        .set(headers)
        .set('x-request-id', requestId);
      expect({ path, status: res.status }).toEqual({ path, status: 200 });
      requestIds.push(requestId);
    }
    const search = await request(stack.urls.customers)
      .post('/v1/customers/search')
      .set(asDpo)
      .send({ personalIdentityCode: identityCode });
    expect(search.status).toBe(200);

    const rows = await eventually(
      async () => {
        const found = await trail(customerId);
        const byPeople = found.filter((r) => r.actor.startsWith('oidc:'));
        return byPeople.length >= reads.length + 1 && found;
      },
      20_000,
      'the reads in the trail',
    );
    const byPeople = rows.filter((r) => r.actor.startsWith('oidc:'));
    expect(new Set(byPeople.map((r) => `${r.service} ${r.route}`))).toEqual(
      new Set([...reads.map(([service, , , route]) => `${service} ${route}`), 'customers /v1/customers/search']),
    );
    for (const row of byPeople) {
      expect(row).toMatchObject({ method: expect.any(String), target: { subject: customerId } });
      expect(Number.isNaN(Date.parse(row.at))).toBe(false);
    }
    expect(byPeople.find((r) => r.route === '/v1/consents' && r.role === 'staff')).toMatchObject({
      actor: 'oidc:u-reader',
      actorName: 'Reija Reader',
      role: 'staff',
      service: 'consents',
      requestId: requestIds[2],
    });
    expect(byPeople.find((r) => r.route === '/v1/customers/:id/export')).toMatchObject({
      actor: 'oidc:u-dpo',
      role: 'dpo',
    });
    expect(
      byPeople
        .filter((r) => r.actor === 'oidc:u-dpo')
        .map((r) => `${r.service} ${r.route}`)
        .sort(),
    ).toEqual([
      'consents /v1/consents',
      'customers /v1/customers/:id',
      'customers /v1/customers/:id/export',
      'customers /v1/customers/search',
      'directory-bans /v1/directory-bans/:customerId/history',
    ]);
    // Newest first, and never the data itself.
    const times = rows.map((r) => Date.parse(r.at));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    const text = JSON.stringify(rows);
    for (const secret of [email, identityCode, 'Lauri', '+358401234567']) expect(text).not.toContain(secret);

    // Another person's trail holds none of these reads.
    expect((await trail(otherId)).filter((r) => r.actor.startsWith('oidc:'))).toEqual([]);
  });

  it('records a lookup by e-mail under the keyed hash of the address, never the address', async () => {
    const asStaff = tokenBearer(await provider.token(staff));
    const res = await request(stack.urls.consents).get('/v1/consents').query({ email }).set(asStaff);
    expect(res.status).toBe(200);
    const subject = `email:${createHmac('sha256', PARTNER_HASH_KEY).update(email).digest('hex')}`;
    // The export asked by the address too, with the service key: that read is recorded as well, by its key id.
    const row = await eventually(async () => {
      const found = await request(stack.urls.consents).get('/v1/audit').query({ subject }).set(bearer('admin'));
      return found.status === 200 && (found.body as AuditRow[]).find((r) => r.actor === 'oidc:u-reader');
    });
    expect(row).toMatchObject({ route: '/v1/consents', target: { subject } });
  });

  it("answers in a customer's trail the lookups of their own e-mail and phone made while they held them", async () => {
    const asStaff = tokenBearer(await provider.token(staff));
    const later = '+358409876543';
    const lookup = async (service: 'consents' | 'suppression', query: Record<string, string>, requestId: string) => {
      const path = service === 'consents' ? '/v1/consents' : '/v1/suppression/entries';
      const res = await request(stack.urls[service]).get(path).query(query).set(asStaff).set('x-request-id', requestId);
      expect(res.status).toBe(200);
    };
    // Before the customer holds the number: a read of someone else's data, not of this customer's.
    await lookup('consents', { phone: later }, `before-${Date.now()}`);
    const held = await request(stack.urls.customers)
      .patch(`/v1/customers/${customerId}`)
      .set(bearer('staff'))
      .send({ phones: ['+358401234567', later] });
    expect(held.status).toBe(200);
    const byEmail = `by-email-${Date.now()}`;
    const byPhone = `by-phone-${Date.now()}`;
    await lookup('suppression', { email }, byEmail);
    await lookup('consents', { phone: later }, byPhone);

    const hash = (value: string) => createHmac('sha256', PARTNER_HASH_KEY).update(value).digest('hex');
    const rows = await eventually(
      async () => {
        const found = await trail(customerId);
        return found.some((r) => r.requestId === byEmail) && found.some((r) => r.requestId === byPhone) && found;
      },
      20_000,
      'the lookups in the customer trail',
    );
    expect(rows.find((r) => r.requestId === byEmail)).toMatchObject({
      service: 'suppression',
      actor: 'oidc:u-reader',
      target: { subject: `email:${hash(email)}` },
    });
    expect(rows.find((r) => r.requestId === byPhone)).toMatchObject({
      service: 'consents',
      target: { subject: `phone:${hash(later)}` },
    });
    expect(rows.filter((r) => r.requestId?.startsWith('before-'))).toEqual([]);
    expect(JSON.stringify(rows)).not.toContain(email);
  });

  it('keeps the reads of a subject in pages keyed by _id', async () => {
    const { MongoClient } = await import('mongodb');
    const client = await MongoClient.connect(MONGODB_URI);
    try {
      const page = await client
        .db(`${stack.prefix}-directory-bans`)
        .collection<{ _id: string }>('subject_reads')
        .findOne({ _id: `${customerId}#1` });
      expect(page).toMatchObject({ subject: customerId, page: 1, reads: expect.any(Array) });
    } finally {
      await client.close();
    }
  });

  it('is for admin and, by subject only, the dpo; names a bad subject', async () => {
    const asStaff = tokenBearer(await provider.token(staff));
    const forbidden = await request(stack.urls.customers).get('/v1/audit').query({ subject: customerId }).set(asStaff);
    expect(forbidden.status).toBe(403);
    // The DPO answers "who read my data": the subject's trail, gathered from the four services like admin's.
    const asDpo = tokenBearer(await provider.token(dpo));
    const bySubject = await request(stack.urls.customers).get('/v1/audit').query({ subject: customerId }).set(asDpo);
    expect(bySubject.status).toBe(200);
    expect(new Set((bySubject.body as AuditRow[]).map((r) => r.service))).toEqual(
      new Set(['customers', 'consents', 'directory-bans', 'suppression']),
    );
    // The rest of the trail (who changed what) stays admin's.
    for (const service of ['customers', 'consents'] as const) {
      const whole = await request(stack.urls[service]).get('/v1/audit').set(asDpo);
      expect(whole.status).toBe(403);
      expect(whole.body.errors).toEqual([expect.objectContaining({ field: 'subject' })]);
    }
    const bad = await request(stack.urls.customers)
      .get('/v1/audit')
      .query({ subject: 'someone@example.fi' })
      .set(bearer('admin'));
    expect(bad.status).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    expect(bad.body.errors).toEqual([expect.objectContaining({ field: 'subject' })]);
  });
});
