import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { bearer, eventually, startStack, Stack } from './support/stack';

/**
 * Contract v1.1 through the public APIs of all services: customers made and changed with the customers API, ledger
 * entries with the consents API, answers from suppression — what a DPO would try.
 */
describe('contract v1.1 across the services', () => {
  let stack: Stack;
  const run = randomBytes(4).toString('hex');
  const email = (name: string) => `${name}.${run}@example.fi`;

  beforeAll(async () => {
    stack = await startStack(['customers', 'consents', 'suppression'], { SUPPRESSION_MAX_STALENESS_MS: '30000' });
  });
  afterAll(() => stack?.close());

  const createCustomer = async (body: Record<string, unknown>) =>
    (
      await request(stack.urls.customers)
        .post('/v1/customers')
        .set(bearer('staff'))
        .send({ kind: 'person', name: 'Testi Henkilö', ...body })
        .expect(201)
    ).body as { id: string };
  const consent = (body: Record<string, unknown>) =>
    request(stack.urls.consents)
      .post('/v1/consents')
      .set(bearer('staff'))
      .send({ source: 'customer-service', ...body })
      .expect(201);
  const codes = async (query: Record<string, string>) => {
    const res = await request(stack.urls.suppression)
      .get('/v1/suppression/check')
      .query(query)
      .set(bearer('marketing'));
    return res.status === 200 ? (res.body.reasons as { code: string }[]).map((r) => r.code) : [`status ${res.status}`];
  };
  const until = (query: Record<string, string>, accept: (codes: string[]) => boolean, what: string) =>
    eventually(async () => accept(await codes(query)), 30_000, what);

  it('keeps a refusal recorded against an address after the address is rectified (§3)', async () => {
    const [old, current] = [email('old'), email('new')];
    const { id } = await createCustomer({ emails: [old], activeContract: true });
    await until({ channel: 'email', purpose: 'own-marketing', customerId: id }, (c) => c.length === 0, 'soft opt-in');
    await consent({ email: old, channel: 'email', purpose: 'all', decision: 'withdraw' });
    await until(
      { channel: 'email', purpose: 'own-marketing', customerId: id },
      (c) => c.includes('consent-withdrawn'),
      'withdrawn',
    );
    await request(stack.urls.customers)
      .patch(`/v1/customers/${id}`)
      .set(bearer('staff'))
      .send({ emails: [current] })
      .expect(200);
    await until(
      { channel: 'email', purpose: 'own-marketing', email: current },
      (c) => c.includes('consent-withdrawn'),
      'the new address bound',
    );
    expect(await codes({ channel: 'email', purpose: 'own-marketing', customerId: id })).toEqual(['consent-withdrawn']);
    const ledger = await request(stack.urls.consents)
      .get('/v1/consents')
      .query({ customerId: id })
      .set(bearer('staff'))
      .expect(200);
    expect((ledger.body.history as { decision: string }[]).map((e) => e.decision)).toEqual(['withdraw']);
  });

  it('erasing one holder of a shared address keeps the prohibition that binds the other (R8)', async () => {
    const shared = email('shared');
    const a = await createCustomer({ emails: [shared], activeContract: false });
    const b = await createCustomer({ emails: [shared], activeContract: true });
    await consent({ email: shared, channel: 'all', purpose: 'all', decision: 'prohibit' });
    await until(
      { channel: 'post', purpose: 'own-marketing', customerId: b.id },
      (c) => c.includes('prohibited'),
      'B prohibited',
    );
    await eventually(
      async () => {
        const ledger = await request(stack.urls.consents)
          .get('/v1/consents')
          .query({ customerId: b.id })
          .set(bearer('staff'));
        return (ledger.body.history as unknown[] | undefined)?.length === 1;
      },
      30_000,
      'consents binds B',
    );
    await request(stack.urls.customers).delete(`/v1/customers/${a.id}`).set(bearer('staff')).expect(202);
    await until(
      { channel: 'post', purpose: 'own-marketing', customerId: a.id },
      (c) => c.includes('erased'),
      'A erased',
    );
    // the consents service has handled the erasure when A's ledger view is gone; B's must stay
    await eventually(
      async () => {
        const ledger = await request(stack.urls.consents)
          .get('/v1/consents')
          .query({ customerId: a.id })
          .set(bearer('staff'));
        return ledger.status === 200 && (ledger.body.history as unknown[]).length === 0;
      },
      30_000,
      'erasure handled by consents',
    );
    expect(await codes({ channel: 'post', purpose: 'own-marketing', customerId: b.id })).toContain('prohibited');
    const ledger = await request(stack.urls.consents)
      .get('/v1/consents')
      .query({ customerId: b.id })
      .set(bearer('staff'))
      .expect(200);
    expect((ledger.body.history as { decision: string }[]).map((e) => e.decision)).toEqual(['prohibit']);
  });

  it('§201: an active mobile customer may be called about mobile subscriptions, others only on request (R10)', async () => {
    const [mobile, fixed] = [`+358451${Date.now() % 1_000_000}`, `+358452${Date.now() % 1_000_000}`];
    const m = await createCustomer({ phones: [mobile], activeContract: true, products: ['mobile-subscription'] });
    const f = await createCustomer({ phones: [fixed], activeContract: true, products: ['fixed-broadband'] });
    const ask = (customerId: string) => ({
      channel: 'phone',
      purpose: 'own-marketing',
      product: 'mobile-subscription',
      customerId,
    });
    await until(ask(m.id), (c) => c.length === 0, 'mobile customer allowed');
    await until(ask(f.id), (c) => c.includes('mobile-telemarketing-ban'), 'fixed customer banned');
    await consent({ customerId: f.id, channel: 'phone', purpose: 'own-marketing', decision: 'grant' });
    await until(ask(f.id), (c) => c.length === 0, 'the express request allows');
  });
});
