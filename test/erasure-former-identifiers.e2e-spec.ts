import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { bearer, eventually, startStack, Stack } from './support/stack';

interface Answer {
  decision: string;
  codes: string[];
}

/**
 * R8 for the identifiers a customer held before a rectification, through the real services: erasing the customer
 * erases the ledgers of its former identifiers (when no other customer holds or held them), and their refusals must
 * keep being honoured as keyed hashes, like those of the identifiers it held at the erasure. Phone and post are
 * opt-out (rule 6): a refusal lost there would turn into an allow.
 */
describe('erasure keeps the refusals of identifiers the customer held before (R8, §3.6)', () => {
  let stack: Stack;
  const run = randomBytes(4).toString('hex');
  let counter = 0;
  const email = (name: string) => `${name}.${run}@example.fi`;
  const phone = () => `+35840${String(Date.now() % 100000).padStart(5, '0')}${String(++counter).padStart(2, '0')}`;

  beforeAll(async () => {
    stack = await startStack(['customers', 'consents', 'suppression'], { SUPPRESSION_MAX_STALENESS_MS: '30000' });
  });
  afterAll(() => stack?.close());

  const createCustomer = async (body: Record<string, unknown>) =>
    (
      await request(stack.urls.customers)
        .post('/v1/customers')
        .set(bearer('staff'))
        .send({ kind: 'person', name: 'Testi Henkilö', activeContract: false, ...body })
        .expect(201)
    ).body as { id: string; contactPersons?: { id: string }[] };
  const rectify = (id: string, body: Record<string, unknown>) =>
    request(stack.urls.customers).patch(`/v1/customers/${id}`).set(bearer('staff')).send(body).expect(200);
  const erase = (id: string) =>
    request(stack.urls.customers).delete(`/v1/customers/${id}`).set(bearer('staff')).expect(202);
  const consent = (body: Record<string, unknown>) =>
    request(stack.urls.consents)
      .post('/v1/consents')
      .set(bearer('staff'))
      .send({ source: 'customer-service', ...body })
      .expect(201);
  const history = async (query: Record<string, string>) => {
    const res = await request(stack.urls.consents).get('/v1/consents').query(query).set(bearer('staff'));
    return res.status === 200 ? (res.body.history as { decision: string }[]).map((e) => e.decision) : undefined;
  };
  const answer = async (channel: string, purpose: string, subject: Record<string, string>): Promise<Answer> => {
    const res = await request(stack.urls.suppression)
      .get('/v1/suppression/check')
      .query({ channel, purpose, ...subject })
      .set(bearer('marketing'));
    if (res.status !== 200) return { decision: `status ${res.status}`, codes: [] };
    return {
      decision: res.body.decision as string,
      codes: (res.body.reasons as { code: string }[]).map((r) => r.code),
    };
  };
  const until = (
    [channel, purpose, subject]: [string, string, Record<string, string>],
    accept: (a: Answer) => boolean,
    what: string,
  ) => eventually(async () => accept(await answer(channel, purpose, subject)), 30_000, what);
  /**
   * The customer's erasure has reached consents (its ledger view is empty: the ledgers it erases are gone by then)
   * and suppression (it answers erased).
   */
  const erased = async (id: string) => {
    await eventually(async () => (await history({ customerId: id }))?.length === 0, 30_000, 'consents erased it');
    await until(['post', 'own-marketing', { customerId: id }], (a) => a.codes.includes('erased'), 'erased');
  };
  /** The erasure of an identifier's ledger has reached suppression: its refusal no longer answers. */
  const ledgerGone = (subject: Record<string, string>, channel = 'phone') =>
    until([channel, 'own-marketing', subject], (a) => !a.codes.includes('consent-withdrawn'), 'ledger erasure applied');
  const suppressedAsErased = { decision: 'suppress', codes: ['erased'] };

  it("keeps a former number's and a former address's refusals as tombstones when nobody else holds them", async () => {
    const [x, y] = [phone(), phone()];
    const [e, e2] = [email('vanha'), email('uusi')];
    const a = await createCustomer({ phones: [x], emails: [e] });
    await consent({ phone: x, channel: 'all', purpose: 'own-marketing', decision: 'withdraw' });
    await consent({ phone: x, channel: 'phone', purpose: 'partner-marketing', decision: 'prohibit' });
    await consent({ email: e, channel: 'all', purpose: 'all', decision: 'withdraw' });
    await until(['phone', 'own-marketing', { customerId: a.id }], (r) => r.codes.includes('consent-withdrawn'), 'A');

    // Rectified: X and E are former identifiers of A; nobody holds them, their own ledgers answer.
    await rectify(a.id, { phones: [y], emails: [e2] });
    await until(['phone', 'own-marketing', { phone: y }], (r) => r.codes.includes('consent-withdrawn'), 'Y bound');
    expect(await answer('phone', 'own-marketing', { phone: x })).toEqual({
      decision: 'suppress',
      codes: ['consent-withdrawn'],
    });
    expect(await answer('phone', 'partner-marketing', { phone: x })).toEqual({
      decision: 'suppress',
      codes: ['prohibited'],
    });
    expect(await answer('post', 'own-marketing', { email: e })).toEqual({
      decision: 'suppress',
      codes: ['consent-withdrawn'],
    });

    await erase(a.id);
    await erased(a.id);
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
    const answers = await Promise.all(asked.map(([c, p, s]) => answer(c, p, s)));
    expect(answers.map((r, i) => `${asked[i][0]}/${asked[i][1]} ${r.decision} ${r.codes.join(',')}`)).toEqual(
      asked.map(([c, p, , codes]) => `${c}/${p} suppress ${codes}`),
    );
    // The identifiers held at the erasure are tombstones too, as before.
    expect(await answer('phone', 'own-marketing', { phone: y })).toEqual(suppressedAsErased);

    // A grant recorded after the erasure for the number beats the tombstone (R8), and only for what it grants.
    await consent({ phone: x, channel: 'phone', purpose: 'own-marketing', decision: 'grant' });
    await until(['phone', 'own-marketing', { phone: x }], (r) => r.decision === 'allow', 'the later grant');
    expect(await answer('phone', 'partner-marketing', { phone: x })).toEqual(suppressedAsErased);
  });

  it('does not tombstone a number another customer holds now: the refusal recorded while A held it still binds B (§3.6)', async () => {
    const [x, y] = [phone(), phone()];
    const a = await createCustomer({ phones: [x] });
    await consent({ phone: x, channel: 'all', purpose: 'own-marketing', decision: 'withdraw' });
    await consent({ phone: x, channel: 'phone', purpose: 'partner-marketing', decision: 'prohibit' });
    await rectify(a.id, { phones: [y] });
    const b = await createCustomer({ phones: [x], activeContract: true });
    // Consents knows B holds X (so erasing A must keep X's ledger): B's view holds the refusals it is bound by.
    await eventually(
      async () => (await history({ customerId: b.id }))?.length === 2,
      30_000,
      'consents binds B by the refusals on X',
    );
    const before = {
      phoneOwn: { decision: 'suppress', codes: ['consent-withdrawn'] },
      phonePartner: { decision: 'suppress', codes: ['prohibited'] },
      postPartner: { decision: 'allow', codes: [] },
    };
    await until(['phone', 'partner-marketing', { customerId: b.id }], (r) => r.codes.includes('prohibited'), 'B');
    const asked = async (subject: Record<string, string>) => ({
      phoneOwn: await answer('phone', 'own-marketing', subject),
      phonePartner: await answer('phone', 'partner-marketing', subject),
      postPartner: await answer('post', 'partner-marketing', subject),
    });
    expect(await asked({ phone: x })).toEqual(before);
    expect(await asked({ customerId: b.id })).toEqual(before);

    await erase(a.id);
    await erased(a.id);
    // X's ledger binds B, so it stays, and X is not A's tombstone: B's answers are what the rules give for B.
    expect(await history({ phone: x })).toEqual(['withdraw', 'prohibit']);
    expect(await asked({ phone: x })).toEqual(before);
    expect(await asked({ customerId: b.id })).toEqual(before);
    // Y, which only A held, is A's tombstone.
    expect(await answer('post', 'partner-marketing', { phone: y })).toEqual(suppressedAsErased);
  });

  it("keeps a contact person's former number's refusals when the organisation is erased (R3, R8)", async () => {
    const [own, p, p2] = [phone(), phone(), phone()];
    const org = await createCustomer({
      kind: 'organization',
      name: 'Testi Oy',
      phones: [own],
      contactPersons: [{ name: 'Kalle Kontakti', email: email('kalle'), phone: p }],
    });
    await consent({ phone: p, channel: 'phone', purpose: 'all', decision: 'withdraw' });
    await until(['phone', 'own-marketing', { phone: p }], (r) => r.codes.includes('consent-withdrawn'), 'P');
    await rectify(org.id, { contactPersons: [{ name: 'Kalle Kontakti', email: email('kalle'), phone: p2 }] });
    await until(['phone', 'own-marketing', { phone: p2 }], (r) => r.codes.includes('consent-withdrawn'), 'P2 bound');
    expect(await answer('phone', 'own-marketing', { phone: p })).toEqual({
      decision: 'suppress',
      codes: ['consent-withdrawn'],
    });

    await erase(org.id);
    await erased(org.id);
    expect(await history({ phone: p })).toEqual([]);
    await ledgerGone({ phone: p });
    expect(await answer('phone', 'own-marketing', { phone: p })).toEqual(suppressedAsErased);
    expect(await answer('phone', 'partner-marketing', { phone: p })).toEqual(suppressedAsErased);
  });
});
