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
  const ask = (channel: string, purpose: string, subject: Record<string, string>) =>
    codes({ channel, purpose, ...subject });
  let counter = 0;
  const phone = () => `+35840${String(Date.now() % 100000).padStart(5, '0')}${String(++counter).padStart(2, '0')}`;
  const rectify = (id: string, body: Record<string, unknown>) =>
    request(stack.urls.customers).patch(`/v1/customers/${id}`).set(bearer('staff')).send(body).expect(200);
  const erase = (id: string) =>
    request(stack.urls.customers).delete(`/v1/customers/${id}`).set(bearer('staff')).expect(202);
  const history = async (query: Record<string, string>) => {
    const res = await request(stack.urls.consents).get('/v1/consents').query(query).set(bearer('staff'));
    return res.status === 200 ? (res.body.history as { decision: string }[]).map((e) => e.decision) : undefined;
  };
  /**
   * The customer's erasure has reached consents (its ledger view is empty: the ledgers it erases are gone by then)
   * and suppression (it answers erased).
   */
  const erasedEverywhere = async (id: string) => {
    await eventually(async () => (await history({ customerId: id }))?.length === 0, 30_000, 'consents erased it');
    await until({ channel: 'post', purpose: 'own-marketing', customerId: id }, (c) => c.includes('erased'), 'erased');
  };
  /** The erasure of an identifier's ledger has reached suppression: its withdrawal no longer answers. */
  const ledgerGone = (subject: Record<string, string>, channel = 'phone') =>
    until(
      { channel, purpose: 'own-marketing', ...subject },
      (c) => !c.includes('consent-withdrawn'),
      'the ledger erasure applied',
    );

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

  describe('erasure keeps the refusals of identifiers the customer held before a rectification (R8, §3.6)', () => {
    // Phone and post are opt-out (rule 6): a refusal lost with a former identifier's ledger would answer allow.
    it("keeps a former number's and a former address's refusals as tombstones when nobody else holds them", async () => {
      const [x, y] = [phone(), phone()];
      const [e, e2] = [email('vanha'), email('uusi')];
      const a = await createCustomer({ phones: [x], emails: [e], activeContract: false });
      await consent({ phone: x, channel: 'all', purpose: 'own-marketing', decision: 'withdraw' });
      await consent({ phone: x, channel: 'phone', purpose: 'partner-marketing', decision: 'prohibit' });
      await consent({ email: e, channel: 'all', purpose: 'all', decision: 'withdraw' });
      await until(
        { channel: 'phone', purpose: 'own-marketing', customerId: a.id },
        (c) => c.includes('consent-withdrawn'),
        'A',
      );

      // Rectified: X and E are former identifiers of A; nobody holds them, their own ledgers answer.
      await rectify(a.id, { phones: [y], emails: [e2] });
      await until(
        { channel: 'phone', purpose: 'own-marketing', phone: y },
        (c) => c.includes('consent-withdrawn'),
        'Y',
      );
      expect(await ask('phone', 'own-marketing', { phone: x })).toEqual(['consent-withdrawn']);
      expect(await ask('phone', 'partner-marketing', { phone: x })).toEqual(['prohibited']);
      expect(await ask('post', 'own-marketing', { email: e })).toEqual(['consent-withdrawn']);

      await erase(a.id);
      await erasedEverywhere(a.id);
      // The former identifiers' ledgers went with A (nobody else holds them) ...
      expect(await history({ phone: x })).toEqual([]);
      expect(await history({ email: e })).toEqual([]);
      await ledgerGone({ phone: x });
      await ledgerGone({ email: e }, 'post');
      // ... and their keyed hashes stay as tombstones: nothing they refused is allowed again.
      const asked: [string, string, Record<string, string>, string][] = [
        ['phone', 'own-marketing', { phone: x }, 'erased'],
        ['phone', 'partner-marketing', { phone: x }, 'erased'],
        ['post', 'own-marketing', { phone: x }, 'erased'],
        ['post', 'partner-marketing', { phone: x }, 'erased'],
        ['post', 'own-marketing', { email: e }, 'erased'],
        ['phone', 'own-marketing', { email: e }, 'erased'],
        // e-mail is opt-in (rule 5): no consent is left either
        ['email', 'own-marketing', { email: e }, 'erased,no-consent'],
      ];
      const answers = await Promise.all(asked.map(([c, p, subject]) => ask(c, p, subject)));
      expect(answers.map((found, i) => `${asked[i][0]}/${asked[i][1]} ${found.join(',')}`)).toEqual(
        asked.map(([c, p, , expected]) => `${c}/${p} ${expected}`),
      );
      // The identifiers held at the erasure are tombstones too, as before.
      expect(await ask('phone', 'own-marketing', { phone: y })).toEqual(['erased']);

      // A grant recorded after the erasure for the number beats the tombstone (R8), and only for what it grants.
      await consent({ phone: x, channel: 'phone', purpose: 'own-marketing', decision: 'grant' });
      await until({ channel: 'phone', purpose: 'own-marketing', phone: x }, (c) => c.length === 0, 'the later grant');
      expect(await ask('phone', 'partner-marketing', { phone: x })).toEqual(['erased']);
    });

    it('does not tombstone a number another customer holds now: the refusal recorded while A held it still binds B', async () => {
      const [x, y] = [phone(), phone()];
      const a = await createCustomer({ phones: [x], activeContract: false });
      await consent({ phone: x, channel: 'all', purpose: 'own-marketing', decision: 'withdraw' });
      await consent({ phone: x, channel: 'phone', purpose: 'partner-marketing', decision: 'prohibit' });
      await rectify(a.id, { phones: [y] });
      const b = await createCustomer({ phones: [x], activeContract: true });
      // Consents knows B holds X (so erasing A must keep X's ledger): B's view holds the refusals it is bound by.
      await eventually(async () => (await history({ customerId: b.id }))?.length === 2, 30_000, 'consents binds B');
      await until(
        { channel: 'phone', purpose: 'partner-marketing', customerId: b.id },
        (c) => c.includes('prohibited'),
        'B',
      );
      const answers = async (subject: Record<string, string>) => ({
        phoneOwn: await ask('phone', 'own-marketing', subject),
        phonePartner: await ask('phone', 'partner-marketing', subject),
        postPartner: await ask('post', 'partner-marketing', subject),
      });
      const before = { phoneOwn: ['consent-withdrawn'], phonePartner: ['prohibited'], postPartner: [] };
      expect(await answers({ phone: x })).toEqual(before);
      expect(await answers({ customerId: b.id })).toEqual(before);

      await erase(a.id);
      await erasedEverywhere(a.id);
      // X's ledger binds B, so it stays, and X is not A's tombstone: B's answers are what the rules give for B.
      expect(await history({ phone: x })).toEqual(['withdraw', 'prohibit']);
      expect(await answers({ phone: x })).toEqual(before);
      expect(await answers({ customerId: b.id })).toEqual(before);
      // Y, which only A held, is A's tombstone.
      expect(await ask('post', 'partner-marketing', { phone: y })).toEqual(['erased']);
    });

    it("keeps a contact person's former number's refusals when the organisation is erased (R3)", async () => {
      const [own, p, p2] = [phone(), phone(), phone()];
      const kalle = (number: string) => [{ name: 'Kalle Kontakti', email: email('kalle'), phone: number }];
      const org = await createCustomer({
        kind: 'organization',
        name: 'Testi Oy',
        phones: [own],
        contactPersons: kalle(p),
        activeContract: false,
      });
      await consent({ phone: p, channel: 'phone', purpose: 'all', decision: 'withdraw' });
      await until(
        { channel: 'phone', purpose: 'own-marketing', phone: p },
        (c) => c.includes('consent-withdrawn'),
        'P',
      );
      await rectify(org.id, { contactPersons: kalle(p2) });
      await until(
        { channel: 'phone', purpose: 'own-marketing', phone: p2 },
        (c) => c.includes('consent-withdrawn'),
        'P2',
      );
      expect(await ask('phone', 'own-marketing', { phone: p })).toEqual(['consent-withdrawn']);

      await erase(org.id);
      await erasedEverywhere(org.id);
      expect(await history({ phone: p })).toEqual([]);
      await ledgerGone({ phone: p });
      expect(await ask('phone', 'own-marketing', { phone: p })).toEqual(['erased']);
      expect(await ask('phone', 'partner-marketing', { phone: p })).toEqual(['erased']);
    });
  });
});
