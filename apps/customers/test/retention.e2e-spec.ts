import request from 'supertest';
import { bearer, startStack, Stack } from '../../../test/support/stack';
import { email, endedCustomer } from './support/ended-customer';

/*
 * Issue 16 part 1: legal holds and the retention job, against real Kafka and FerretDB. Retention is 0 days here, so
 * a customer is due as soon as its contract ends.
 */
jest.setTimeout(240_000);

describe('customers: legal hold and the retention job', () => {
  let stack: Stack;
  let base: string;

  beforeAll(async () => {
    // The schedule is off: runs happen only when the test asks.
    stack = await startStack(['customers'], { KIELTO_RETENTION_DAYS: '0', KIELTO_RETENTION_INTERVAL_MS: '0' });
    base = stack.urls.customers;
  });
  afterAll(() => stack?.close());

  const hold = (id: string, body: object, role: 'staff' | 'marketing' = 'staff') =>
    request(base).put(`/v1/customers/${id}/legal-hold`).set(bearer(role)).send(body);

  it('refuses erasure with 409 naming the hold while it is in force, and allows it once released', async () => {
    const { id } = await endedCustomer(base, 'held-then-released');

    const bad = await hold(id, { reason: '', until: 'tomorrow' });
    expect(bad.status).toBe(400);
    expect(bad.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['reason', 'until']);
    const past = await hold(id, { reason: 'dispute', until: '2020-01-01T00:00:00Z' });
    expect(past.status).toBe(400);
    expect(past.body.errors).toEqual([expect.objectContaining({ field: 'until' })]);
    expect((await request(base).get(`/v1/customers/${id}`).set(bearer('staff'))).body.legalHold).toBeUndefined();
    expect((await hold(id, { reason: 'dispute' }, 'marketing')).status).toBe(403);
    expect((await hold('6f0b9c2e-0000-4000-8000-000000000000', { reason: 'dispute' })).status).toBe(404);

    const placed = await hold(id, { reason: 'invoice dispute 2026-118', until: '2099-01-01T00:00:00Z' });
    expect(placed.status).toBe(200);
    expect(placed.body.legalHold).toEqual({
      since: expect.any(String),
      reason: 'invoice dispute 2026-118',
      by: expect.stringMatching(/^staff-/),
      until: '2099-01-01T00:00:00.000Z',
    });

    const refused = await request(base).delete(`/v1/customers/${id}`).set(bearer('staff'));
    expect(refused.status).toBe(409);
    expect(refused.body.type).toMatch(/legal-hold$/);
    expect(refused.body.detail).toContain('invoice dispute 2026-118');
    expect(refused.body.detail).toContain('2099-01-01');

    const released = await request(base).delete(`/v1/customers/${id}/legal-hold`).set(bearer('staff'));
    expect(released.status).toBe(200);
    expect(released.body.legalHold).toBeUndefined();
    expect(released.body.legalHoldHistory.map((h: { action: string }) => h.action)).toEqual(['placed', 'released']);
    expect((await request(base).delete(`/v1/customers/${id}/legal-hold`).set(bearer('staff'))).status).toBe(409);

    expect((await request(base).delete(`/v1/customers/${id}`).set(bearer('staff'))).status).toBe(202);
  });

  it('lists what is due (ids, numbers, dates only), erases it on POST /v1/retention/run as system:retention, audited, and keeps held and active customers', async () => {
    const due = await endedCustomer(base, 'due');
    const held = await endedCustomer(base, 'kept-by-hold');
    expect((await hold(held.id, { reason: 'authority request' })).status).toBe(200);
    const active = await request(base)
      .post('/v1/customers')
      .set(bearer('staff'))
      .send({ kind: 'person', name: 'Active', emails: [email('active')], activeContract: true });
    // Ended and resumed: its hint is stale and must not lead to an erasure.
    const resumed = await endedCustomer(base, 'resumed');
    expect(
      (await request(base).patch(`/v1/customers/${resumed.id}`).set(bearer('staff')).send({ activeContract: true }))
        .status,
    ).toBe(200);

    expect((await request(base).get('/v1/retention/due').set(bearer('staff'))).status).toBe(403);
    expect((await request(base).post('/v1/retention/run').set(bearer('staff'))).status).toBe(403);

    const listed = await request(base).get('/v1/retention/due').set(bearer('admin'));
    expect(listed.status).toBe(200);
    expect(listed.body.retentionDays).toBe(0);
    const row = listed.body.due.find((d: { id: string }) => d.id === due.id);
    expect(row).toEqual({ id: due.id, customerNumber: due.customerNumber, relationshipEndedAt: expect.any(String) });
    const listedIds = listed.body.due.map((d: { id: string }) => d.id);
    expect(listedIds).not.toContain(held.id);
    expect(listedIds).not.toContain(active.body.id);
    expect(listedIds).not.toContain(resumed.id);
    expect(listed.body.held).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify(listed.body)).not.toContain('@example.fi');

    const metricsBefore = await request(base).get('/metrics');
    expect(metricsBefore.text).toMatch(/kielto_retention_due\{service="customers"\} [1-9]/);

    const ran = await request(base).post('/v1/retention/run').set(bearer('admin'));
    expect(ran.status).toBe(200);
    expect(ran.body.trigger).toBe('manual');
    expect(ran.body.erased.map((d: { id: string }) => d.id)).toContain(due.id);
    expect(ran.body.erased.map((d: { id: string }) => d.id)).not.toContain(held.id);
    expect(ran.body.failed).toBe(0);

    expect((await request(base).get(`/v1/customers/${due.id}`).set(bearer('staff'))).status).toBe(404);
    expect((await request(base).get(`/v1/customers/${held.id}`).set(bearer('staff'))).status).toBe(200);
    expect((await request(base).get(`/v1/customers/${active.body.id}`).set(bearer('staff'))).status).toBe(200);
    expect((await request(base).get(`/v1/customers/${resumed.id}`).set(bearer('staff'))).status).toBe(200);

    const audit = await request(base).get('/v1/audit').query({ actor: 'system:retention' }).set(bearer('admin'));
    expect(audit.body).toContainEqual(
      expect.objectContaining({
        actor: 'system:retention',
        role: 'system',
        method: 'DELETE',
        route: '/v1/customers/:id',
        target: { id: due.id },
        status: 202,
        requestId: ran.body.runId,
      }),
    );

    const metrics = await request(base).get('/metrics');
    expect(metrics.text).toMatch(/kielto_retention_erased_total\{service="customers",trigger="manual"\} [1-9]/);
    const after = await request(base).get('/v1/retention/due').set(bearer('admin'));
    expect(after.body.due).toEqual([]);

    // Nothing more to do: a second run erases nothing (the stale hint of the resumed customer was dropped).
    const again = await request(base).post('/v1/retention/run').set(bearer('admin'));
    expect(again.body.erased).toEqual([]);
  });
});
