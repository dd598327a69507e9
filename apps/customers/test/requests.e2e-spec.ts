import { randomBytes, randomUUID } from 'node:crypto';
import request from 'supertest';
import { bearer, eventually, startStack, Stack } from '../../../test/support/stack';

/* Issue 16 part 4: the data-subject request desk, against real Kafka and FerretDB. */
jest.setTimeout(240_000);

const run = randomBytes(3).toString('hex');
const email = (name: string) => `${name}.${run}@example.fi`;
const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();

describe('customers: the data-subject request desk', () => {
  let stack: Stack;
  let base: string;

  beforeAll(async () => {
    stack = await startStack(['customers'], { KIELTO_RETENTION_INTERVAL_MS: '0' });
    base = stack.urls.customers;
  });
  afterAll(() => stack?.close());

  const receive = (body: object, role: 'staff' | 'dpo' | 'marketing' = 'staff') =>
    request(base).post('/v1/requests').set(bearer(role)).send(body);
  const change = (id: string, body: object) =>
    request(base).patch(`/v1/requests/${id}`).set(bearer('staff')).send(body);
  const list = (query: Record<string, string> = {}) =>
    request(base).get('/v1/requests').query(query).set(bearer('staff'));
  const fields = (res: request.Response) =>
    [...new Set((res.body.errors as { field: string }[]).map((e) => e.field))].sort();

  it('refuses bad input with a problem naming the field, and writes nothing', async () => {
    const valid = { email: email('bad'), type: 'access', receivedAt: daysAgo(1), channel: 'email' };
    const none = await receive({ type: 'access', receivedAt: daysAgo(1), channel: 'email' });
    expect(none.status).toBe(400);
    expect(none.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(fields(none)).toEqual(['customerId', 'email', 'phone']);
    expect(fields(await receive({ ...valid, phone: '+358401234567' }))).toEqual(['email', 'phone']);
    const bad = await receive({ email: 'nope', type: 'forget-me', receivedAt: 'yesterday', channel: 'fax' });
    expect(bad.status).toBe(400);
    expect(fields(bad)).toEqual(['channel', 'email', 'receivedAt', 'type']);
    expect(fields(await receive({ ...valid, receivedAt: new Date(Date.now() + 86_400_000).toISOString() }))).toEqual([
      'receivedAt',
    ]);
    expect(fields(await receive({ ...valid, identityVerifiedBy: '' }))).toEqual(['identityVerifiedBy']);
    const unknown = await receive({ ...valid, email: undefined, customerId: randomUUID() });
    expect(unknown.status).toBe(422);
    expect(fields(unknown)).toEqual(['customerId']);
    expect((await receive(valid, 'marketing')).status).toBe(403);
    expect((await list()).body).toEqual([]);
  });

  it('sets dueAt one calendar month after receipt, extends once by up to two months with a reason, and closes with the outcome and audit ids', async () => {
    const old = await receive({
      email: email('late'),
      type: 'access',
      receivedAt: '2026-01-31T10:00:00Z',
      channel: 'letter',
    });
    expect(old.status).toBe(201);
    expect(old.body).toEqual(
      expect.objectContaining({
        id: expect.any(String),
        type: 'access',
        subject: { email: email('late') },
        receivedAt: '2026-01-31T10:00:00.000Z',
        dueAt: '2026-02-28T10:00:00.000Z',
        status: 'overdue',
        version: 1,
      }),
    );
    const late = await change(old.body.id, { action: 'extend', months: 2, reason: 'complex' });
    expect(late.status).toBe(409);
    expect(late.body.type).toMatch(/extension-too-late$/);

    const receivedAt = daysAgo(3);
    const fresh = await receive(
      {
        phone: '040 123 4567',
        type: 'portability',
        receivedAt,
        channel: 'phone',
        identityVerifiedBy: 'strong-electronic-id',
      },
      'dpo',
    );
    expect(fresh.status).toBe(201);
    expect(fresh.body.subject).toEqual({ phone: '+358401234567' });
    expect(fresh.body.status).toBe('open');
    const id = fresh.body.id as string;

    expect(fields(await change(id, { action: 'extend', months: 3, reason: 'complex' }))).toEqual(['months']);
    expect(fields(await change(id, { action: 'extend', months: 1 }))).toEqual(['reason']);
    expect(fields(await change(id, { action: 'extend', months: 1, reason: 'x', outcome: 'refused' }))).toEqual([
      'outcome',
    ]);
    expect(fields(await change(id, { action: 'postpone' }))).toEqual(['action']);
    expect((await request(base).get(`/v1/requests/${id}`).set(bearer('staff'))).body.version).toBe(1);

    const extended = await change(id, { action: 'extend', months: 2, reason: 'many requests this month' });
    expect(extended.status).toBe(200);
    const expectedDue = new Date(receivedAt);
    expectedDue.setUTCMonth(expectedDue.getUTCMonth() + 3);
    expect(Date.parse(extended.body.dueAt)).toBeLessThanOrEqual(expectedDue.getTime());
    expect(Date.parse(extended.body.dueAt)).toBeGreaterThan(Date.parse(fresh.body.dueAt));
    expect(extended.body.extension).toEqual(
      expect.objectContaining({ months: 2, reason: 'many requests this month', previousDueAt: fresh.body.dueAt }),
    );
    const again = await change(id, { action: 'extend', months: 1, reason: 'more' });
    expect(again.status).toBe(409);
    expect(again.body.type).toMatch(/already-extended$/);

    expect(fields(await change(id, { action: 'close', outcome: 'fulfilled', auditIds: [] }))).toEqual(['auditIds']);
    expect(fields(await change(id, { action: 'close', outcome: 'fulfilled', auditIds: ['not-an-id'] }))).toEqual([
      'auditIds',
    ]);
    const auditId = randomUUID();
    const closed = await change(id, { action: 'close', outcome: 'fulfilled', auditIds: [auditId] });
    expect(closed.status).toBe(200);
    expect(closed.body.status).toBe('closed');
    expect(closed.body.closed).toEqual(expect.objectContaining({ outcome: 'fulfilled', auditIds: [auditId] }));
    expect((await change(id, { action: 'close', outcome: 'refused', auditIds: [] })).status).toBe(409);

    const overdue = await list({ status: 'overdue' });
    expect(overdue.body.map((r: { id: string }) => r.id)).toEqual([old.body.id]);
    const open = (await list({ status: 'open' })).body.map((r: { id: string }) => r.id);
    expect(open).toContain(old.body.id);
    expect(open).not.toContain(id);
    expect((await list({ status: 'closed' })).body.map((r: { id: string }) => r.id)).toEqual([id]);
    expect((await list({ dueBefore: '2026-03-01T00:00:00Z' })).body.map((r: { id: string }) => r.id)).toEqual([
      old.body.id,
    ]);
    expect(fields(await list({ status: 'late' }))).toEqual(['status']);
    expect(fields(await list({ dueBefore: 'soon' }))).toEqual(['dueBefore']);

    const metrics = await request(base).get('/metrics');
    expect(metrics.text).toMatch(/kielto_requests_overdue\{service="customers"\} 1\b/);
  });

  it('links rectification, restriction and erasure to their desk entry with X-Kielto-Dsr, so the desk shows the trail', async () => {
    const created = await request(base)
      .post('/v1/customers')
      .set(bearer('staff'))
      .send({ kind: 'person', name: 'Tiina Trail', emails: [email('trail')] });
    const customerId = created.body.id as string;
    const other = await request(base)
      .post('/v1/customers')
      .set(bearer('staff'))
      .send({ kind: 'person', name: 'Olli Other', emails: [email('other')] });
    const desk = await receive({ customerId, type: 'erasure', receivedAt: daysAgo(0), channel: 'web' });
    expect(desk.status).toBe(201);
    const dsr = desk.body.id as string;
    const patch = (id: string, header: string, body: object) =>
      request(base).patch(`/v1/customers/${id}`).set(bearer('staff')).set('X-Kielto-Dsr', header).send(body);

    const malformed = await patch(customerId, 'not-a-uuid', { name: 'Changed' });
    expect(malformed.status).toBe(400);
    expect(fields(malformed)).toEqual(['X-Kielto-Dsr']);
    const unknown = await patch(customerId, randomUUID(), { name: 'Changed' });
    expect(unknown.status).toBe(422);
    expect(fields(unknown)).toEqual(['X-Kielto-Dsr']);
    const wrongCustomer = await patch(other.body.id, dsr, { name: 'Changed' });
    expect(wrongCustomer.status).toBe(422);
    const unchanged = await request(base).get(`/v1/customers/${customerId}`).set(bearer('staff'));
    expect(unchanged.body.name).toBe('Tiina Trail');
    expect(unchanged.body.version).toBe(1);

    const rectified = await patch(customerId, dsr, { name: 'Tiina Rectified' });
    expect(rectified.status).toBe(200);
    const restricted = await request(base)
      .put(`/v1/customers/${customerId}/restriction`)
      .set(bearer('staff'))
      .set('X-Kielto-Dsr', dsr)
      .send({ reason: 'erasure pending' });
    expect(restricted.status).toBe(200);
    const erased = await request(base)
      .delete(`/v1/customers/${customerId}`)
      .set(bearer('staff'))
      .set('X-Kielto-Dsr', dsr);
    expect(erased.status).toBe(202);

    const entry = await request(base).get(`/v1/requests/${dsr}`).set(bearer('staff'));
    expect(entry.status).toBe(200);
    expect(entry.body.trail.map((t: { action: string }) => t.action)).toEqual([
      'rectification',
      'restriction',
      'erasure',
    ]);
    expect(entry.body.trail.every((t: { customerId: string }) => t.customerId === customerId)).toBe(true);
    expect(entry.body.trail.map((t: { requestId: string }) => t.requestId)).toEqual([
      rectified.headers['x-request-id'],
      restricted.headers['x-request-id'],
      erased.headers['x-request-id'],
    ]);

    // The audit records of those writes carry the same request ids: their ids close the request.
    const audit = await eventually(async () => {
      const res = await request(base).get('/v1/audit').query({ limit: 1000 }).set(bearer('admin'));
      const records = (res.body as { _id: string; requestId: string }[]).filter((r) =>
        entry.body.trail.some((t: { requestId: string }) => t.requestId === r.requestId),
      );
      return records.length === 3 && records;
    });
    const closed = await change(dsr, { action: 'close', outcome: 'fulfilled', auditIds: audit.map((r) => r._id) });
    expect(closed.status).toBe(200);

    const afterClose = await patch(other.body.id, dsr, { name: 'Too late' });
    expect(afterClose.status).toBe(409);
  });
});
