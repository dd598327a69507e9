import request from 'supertest';
import { bearer, eventually, startStack, Stack } from '../support/stack';

describe('audit trail of staff/admin writes', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack(['consents']);
  });
  afterAll(() => stack?.close());

  it('records actor key id, route pattern, outcome and no personal data; only admin may read it', async () => {
    const email = `audit.${Date.now()}@example.fi`;
    const ok = await request(stack.urls.consents)
      .post('/v1/consents')
      .set(bearer('staff'))
      .send({ email, channel: 'email', purpose: 'all', decision: 'grant', source: 'web-form' });
    expect(ok.status).toBe(201);
    const rejected = await request(stack.urls.consents)
      .post('/v1/consents')
      .set(bearer('staff'))
      .send({ email, channel: 'fax', purpose: 'all', decision: 'grant', source: 'web-form' });
    expect(rejected.status).toBe(400);

    const records = await eventually(async () => {
      const res = await request(stack.urls.consents).get('/v1/audit').set(bearer('admin'));
      return res.status === 200 && res.body.length >= 2 && (res.body as Record<string, unknown>[]);
    });
    expect(records[0]).toMatchObject({ route: '/v1/consents', method: 'POST', service: 'consents', role: 'staff' });
    expect(records.map((r) => r.outcome).sort()).toEqual(['rejected', 'success']);
    expect(String(records[0].actor)).toMatch(/^staff-[0-9a-f]{8}$/);
    expect(JSON.stringify(records)).not.toContain(email);

    const forbidden = await request(stack.urls.consents).get('/v1/audit').set(bearer('staff'));
    expect(forbidden.status).toBe(403);
  });
});
