import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import request from 'supertest';
import type { ServiceApp } from '@kielto/platform';
import { bearer, eventually, startStack, Stack } from '../../../test/support/stack';
import {
  check,
  codes,
  emailHash,
  eventuallyAnswer,
  phoneHash,
  RELAXED_FRESHNESS,
  SourceEvents,
  untilFresh,
  checkQuery,
  recordConsent,
  testIdentifiers,
} from './support/source-events';

/**
 * Contract v1.1 (issue 15): each wrong allow a data-protection officer found in v1, over the real consents and
 * suppression services (customers are published as the customers service publishes them). Every test here
 * answered `allow` (or otherwise wrongly) on the v1 build.
 */
describe('contract v1.1: wrong allows removed', () => {
  let stack: Stack;
  let suppression: ServiceApp;
  let events: SourceEvents;
  const { run, email, phone } = testIdentifiers('+35850');
  const iso = (ms: number) => new Date(ms).toISOString();
  const q = checkQuery;
  const consent = (body: Record<string, unknown>) => recordConsent(stack.urls.consents, body);
  const ledgerOf = async (query: Record<string, string>) =>
    (await request(stack.urls.consents).get('/v1/consents').query(query).set(bearer('staff')).expect(200)).body as {
      history: { decision: string }[];
    };

  beforeAll(async () => {
    stack = await startStack(['consents', 'suppression'], RELAXED_FRESHNESS);
    suppression = stack.apps.suppression!;
    events = new SourceEvents(suppression);
    await untilFresh(suppression);
  });
  afterAll(() => stack?.close());

  it('1. erasing one holder of a shared address keeps the prohibition that binds the other (R8)', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const shared = email('family');
    await events.customer(a, { emails: [shared], activeContract: false });
    await events.customer(b, { emails: [shared] });
    await consent({ customerId: a, channel: 'sms', purpose: 'all', decision: 'grant' });
    await consent({ email: shared, channel: 'all', purpose: 'all', decision: 'prohibit' });
    // consents knows B holds the address (its view of B includes the entry)
    await eventually(
      async () => (await ledgerOf({ customerId: b })).history.some((e) => e.decision === 'prohibit'),
      20_000,
      'consents sees B holding the address',
    );
    await eventuallyAnswer(suppression, q('post', 'own-marketing', { customerId: b }), (x) =>
      codes(x).includes('prohibited'),
    );
    await events.erased(a, { emails: [shared] });
    // consents has processed the erasure once A's own ledger is gone
    await eventually(async () => (await ledgerOf({ customerId: a })).history.length === 0, 20_000, 'A erased');
    await eventuallyAnswer(suppression, q('post', 'own-marketing', { customerId: a }), (x) =>
      codes(x).includes('erased'),
    );
    for (const contact of [{ customerId: b }, { email: shared }] as Record<string, string>[]) {
      const answer = await check(suppression, q('post', 'own-marketing', contact));
      expect(codes(answer.body)).toContain('prohibited');
    }
    expect((await ledgerOf({ customerId: b })).history.map((e) => e.decision)).toEqual(['prohibit']);
  });

  it('2. soft opt-in and the Robinson exemption need an active relationship (R2)', async () => {
    const prospect = randomUUID();
    const former = randomUUID();
    const [p1, p2] = [email('prospect'), email('former')];
    const [n1, n2] = [phone(), phone()];
    await events.customer(prospect, { emails: [p1], phones: [n1], activeContract: false });
    await events.customer(former, {
      emails: [p2],
      phones: [n2],
      activeContract: false,
      relationshipEndedAt: iso(Date.now() - 400 * 86_400_000),
    });
    for (const address of [p1, p2]) {
      await eventuallyAnswer(suppression, q('email', 'own-marketing', { email: address }), (x) =>
        codes(x).includes('no-consent'),
      );
    }
    await request(stack.urls.suppression)
      .post('/v1/suppression/entries')
      .set(bearer('staff'))
      .send({ phone: n2, channel: 'phone', reason: 'robinson' })
      .expect(201);
    expect(codes((await check(suppression, q('phone', 'own-marketing', { phone: n2 }))).body)).toEqual(['robinson']);
  });

  it('3. a withdrawal recorded against an old address survives its rectification (§3 who an entry binds)', async () => {
    const id = randomUUID();
    const [old, current] = [email('old'), email('new')];
    const created = Date.now() - 60_000;
    await events.customer(id, { emails: [old], from: iso(created) });
    await eventuallyAnswer(suppression, q('email', 'own-marketing', { email: old }), (x) => x.decision === 'allow');
    await consent({ email: old, channel: 'email', purpose: 'all', decision: 'withdraw' });
    await eventuallyAnswer(suppression, q('email', 'own-marketing', { customerId: id }), (x) =>
      codes(x).includes('consent-withdrawn'),
    );
    const rectified = Date.now();
    await events.customer(id, {
      emails: [current],
      from: iso(rectified),
      former: [{ email: old, from: iso(created), until: iso(rectified) }],
    });
    await eventuallyAnswer(suppression, q('email', 'own-marketing', { email: current }), (x) =>
      codes(x).includes('consent-withdrawn'),
    );
    expect(codes((await check(suppression, q('email', 'own-marketing', { customerId: id }))).body)).toEqual([
      'consent-withdrawn',
    ]);
    // The old address, now nobody's, stands for itself: its own withdrawal still applies.
    expect(codes((await check(suppression, q('email', 'own-marketing', { email: old }))).body)).toContain(
      'consent-withdrawn',
    );
  });

  it('4. contact persons are subjects of their own: no consent by the organisation, no suppression of colleagues (R3)', async () => {
    const org = randomUUID();
    const [role, first, second] = [email('office'), email('anna'), email('bertil')];
    await events.customer(org, {
      kind: 'organization',
      emails: [role],
      contactPersons: [
        { id: 'anna', emails: [first] },
        { id: 'bertil', emails: [second] },
      ],
    });
    await eventuallyAnswer(
      suppression,
      q('email', 'partner-marketing', { email: first }),
      (x) => x.decision === 'allow',
    );
    await consent({ email: first, channel: 'email', purpose: 'all', decision: 'withdraw' });
    await consent({ email: second, channel: 'all', purpose: 'all', decision: 'prohibit' });
    await eventuallyAnswer(suppression, q('email', 'partner-marketing', { email: second }), (x) =>
      codes(x).includes('prohibited'),
    );
    // The organisation grants everything later: it cannot consent for Anna, who withdrew.
    await consent({ customerId: org, channel: 'all', purpose: 'all', decision: 'grant' });
    await eventuallyAnswer(
      suppression,
      q('email', 'partner-marketing', { email: role }),
      (x) => x.decision === 'allow',
    );
    expect(codes((await check(suppression, q('email', 'partner-marketing', { email: first }))).body)).toEqual([
      'consent-withdrawn',
    ]);
    // Bertil's objection binds Bertil only: not the organisation, not Anna's phone calls.
    expect((await check(suppression, q('post', 'own-marketing', { customerId: org }))).body.decision).toBe('allow');
    expect((await check(suppression, q('email', 'own-marketing', { email: role }))).body.decision).toBe('allow');
    expect((await check(suppression, q('post', 'own-marketing', { email: first }))).body.decision).toBe('allow');
    // The organisation's refusal binds its contact persons.
    await consent({ customerId: org, channel: 'post', purpose: 'all', decision: 'prohibit' });
    await eventuallyAnswer(suppression, q('post', 'own-marketing', { email: first }), (x) =>
      codes(x).includes('prohibited'),
    );
  });

  it('5. a withdrawal covering phone or post is a refusal; a Robinson entry stops only its channel (R4)', async () => {
    const id = randomUUID();
    const number = phone();
    await events.customer(id, { phones: [number], activeContract: false });
    await eventuallyAnswer(
      suppression,
      q('phone', 'partner-marketing', { phone: number }),
      (x) => x.decision === 'allow',
    );
    await consent({ customerId: id, channel: 'phone', purpose: 'all', decision: 'withdraw' });
    const refused = await eventuallyAnswer(suppression, q('phone', 'own-marketing', { phone: number }), (x) =>
      codes(x).includes('consent-withdrawn'),
    );
    expect(refused.body.reasons[0]).toMatchObject({ code: 'consent-withdrawn', rule: 'R4' });
    const stranger = phone();
    await request(stack.urls.suppression)
      .post('/v1/suppression/entries')
      .set(bearer('staff'))
      .send({ phone: stranger, channel: 'post', reason: 'robinson' })
      .expect(201);
    expect(codes((await check(suppression, q('post', 'partner-marketing', { phone: stranger }))).body)).toEqual([
      'robinson',
    ]);
    expect((await check(suppression, q('phone', 'partner-marketing', { phone: stranger }))).body.decision).toBe(
      'allow',
    );
  });

  it('6. an objection to own- or partner-marketing also covers profiling (R5)', async () => {
    const number = phone();
    await consent({ phone: number, channel: 'all', purpose: 'all', decision: 'grant' });
    await consent({ phone: number, channel: 'all', purpose: 'partner-marketing', decision: 'prohibit' });
    const answer = await eventuallyAnswer(suppression, q('sms', 'profiling', { phone: number }), (x) =>
      codes(x).includes('prohibited'),
    );
    expect(answer.body.reasons[0]).toMatchObject({ code: 'prohibited', rule: 'R5' });
    expect((await check(suppression, q('sms', 'market-research', { phone: number }))).body.decision).toBe('allow');
  });

  it('7. §201: mobile subscriptions are telemarketed to consumers only on request or to own mobile customers (R10)', async () => {
    const mobileCustomer = randomUUID();
    const [own, other, stranger] = [phone(), phone(), phone()];
    await events.customer(mobileCustomer, { phones: [own], products: ['mobile-subscription'] });
    await events.customer(randomUUID(), { phones: [other], products: ['fixed-broadband'] });
    const product = { product: 'mobile-subscription' };
    await eventuallyAnswer(
      suppression,
      q('phone', 'own-marketing', { phone: own }, product),
      (x) => x.decision === 'allow',
    );
    expect(codes((await check(suppression, q('phone', 'own-marketing', { phone: other }, product))).body)).toEqual([
      'mobile-telemarketing-ban',
    ]);
    const unknown = await check(suppression, q('phone', 'partner-marketing', { phone: stranger }, product));
    expect(unknown.body.reasons).toEqual([
      expect.objectContaining({ code: 'mobile-telemarketing-ban', rule: 'R10', since: null }),
    ]);
    expect((await check(suppression, q('phone', 'partner-marketing', { phone: stranger }))).body.decision).toBe(
      'allow',
    );
    // Bulk, stream and clearance take the product too.
    const server = suppression.app.getHttpServer() as Server;
    const bulk = await request(server)
      .post('/v1/suppression/check')
      .set(bearer('marketing'))
      .send({
        channel: 'phone',
        purpose: 'partner-marketing',
        product: 'mobile-subscription',
        contacts: [{ phone: stranger }],
      })
      .expect(200);
    expect(bulk.body.results[0].reasons[0].code).toBe('mobile-telemarketing-ban');
    const stream = await request(server)
      .post('/v1/suppression/check/stream')
      .query({ channel: 'phone', purpose: 'partner-marketing', product: 'mobile-subscription' })
      .set(bearer('marketing'))
      .set('content-type', 'application/x-ndjson')
      .send(JSON.stringify({ phone: stranger }) + '\n')
      .expect(200);
    expect(JSON.parse(stream.text.trim()).reasons[0].code).toBe('mobile-telemarketing-ban');
    const clearance = await request(server)
      .post(`/v1/campaigns/c-${run}/clearance`)
      .set(bearer('marketing'))
      .send({
        channel: 'phone',
        purpose: 'partner-marketing',
        product: 'mobile-subscription',
        contacts: [{ phone: stranger }],
      });
    expect(clearance.status).toBeLessThan(300);
    expect(clearance.body.suppressed).toBe(1);
    // An unknown product is a 400 naming the field, on every door.
    const bad = await check(suppression, q('phone', 'own-marketing', { phone: own }, { product: 'car' }));
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([expect.objectContaining({ field: 'product' })]);
    const badBulk = await request(server)
      .post('/v1/suppression/check')
      .set(bearer('marketing'))
      .send({ channel: 'phone', purpose: 'own-marketing', product: 'car', contacts: [{ phone: own }] });
    expect(badBulk.status).toBe(400);
    expect(badBulk.body.errors).toEqual([expect.objectContaining({ field: 'product' })]);
  });

  it('8. two covering entries recorded at the same instant: the restrictive one decides', async () => {
    const id = randomUUID();
    const address = email('tie');
    await events.customer(id, { emails: [address], activeContract: false });
    const at = iso(Date.now() - 1000);
    const key = { type: 'email' as const, key: emailHash(address) };
    await events.consent(key, { channel: 'email', purpose: 'all', decision: 'withdraw', recordedAt: at });
    await eventuallyAnswer(suppression, q('email', 'partner-marketing', { customerId: id }), (x) =>
      codes(x).includes('consent-withdrawn'),
    );
    // Raise the customer ledger's sequences, so that a comparison of sequences would make the grant "later".
    const customer = { type: 'customer' as const, key: id };
    await events.consent(customer, {
      channel: 'post',
      purpose: 'all',
      decision: 'prohibit',
      recordedAt: iso(Date.now() - 5000),
    });
    await events.consent(customer, {
      channel: 'post',
      purpose: 'all',
      decision: 'lift-prohibition',
      recordedAt: iso(Date.now() - 4000),
    });
    await events.consent(customer, { channel: 'all', purpose: 'all', decision: 'grant', recordedAt: at });
    // The grant is applied once sms (which only the grant covers) is allowed.
    await eventuallyAnswer(
      suppression,
      q('sms', 'partner-marketing', { customerId: id }),
      (x) => x.decision === 'allow',
    );
    for (const contact of [{ customerId: id }, { email: address }] as Record<string, string>[]) {
      expect(codes((await check(suppression, q('email', 'partner-marketing', contact))).body)).toEqual([
        'consent-withdrawn',
      ]);
    }
  });

  it("9. a recycled number: the erased holder's tombstone yields to the new holder's later grant, by phone and by id (R8)", async () => {
    const [old, next] = [randomUUID(), randomUUID()];
    const number = phone();
    await events.customer(old, { phones: [number] });
    await events.erased(old, { phones: [number] });
    await eventuallyAnswer(suppression, q('phone', 'own-marketing', { phone: number }), (x) =>
      codes(x).includes('erased'),
    );
    await events.customer(next, { phones: [number], from: iso(Date.now()) });
    await eventuallyAnswer(suppression, q('phone', 'own-marketing', { customerId: next }), (x) =>
      codes(x).includes('erased'),
    );
    expect(codes((await check(suppression, q('phone', 'own-marketing', { phone: number }))).body)).toEqual(['erased']);
    await consent({ customerId: next, channel: 'phone', purpose: 'all', decision: 'grant' });
    await eventuallyAnswer(
      suppression,
      q('phone', 'own-marketing', { customerId: next }),
      (x) => x.decision === 'allow',
    );
    expect((await check(suppression, q('phone', 'own-marketing', { phone: number }))).body.decision).toBe('allow');
    // a grant recorded before the new holder held it is not theirs
    expect((await check(suppression, q('post', 'own-marketing', { phone: number }))).body.reasons[0].code).toBe(
      'erased',
    );
  });

  it('13. partners see opt-out in place of erased and processing-restricted, without rule or source (R11)', async () => {
    const id = randomUUID();
    const address = email('restricted');
    await events.customer(id, { emails: [address], restrictedSince: iso(Date.now()) });
    await eventuallyAnswer(suppression, q('post', 'own-marketing', { email: address }), (x) =>
      codes(x).includes('processing-restricted'),
    );
    const partner = await check(
      suppression,
      q('post', 'partner-marketing', { emailHash: emailHash(address) }),
      'partner',
    );
    expect(partner.body.reasons).toEqual([{ code: 'opt-out', since: expect.any(String) }]);
    expect(JSON.stringify(partner.body)).not.toMatch(/restricted|R7|Art 18/);
    const bulk = await request(suppression.app.getHttpServer() as Server)
      .post('/v1/suppression/check')
      .set(bearer('partner'))
      .send({
        channel: 'post',
        purpose: 'partner-marketing',
        contacts: [{ emailHash: emailHash(address) }, { phoneHash: phoneHash(phone()) }],
      })
      .expect(200);
    expect(bulk.body.results[0].reasons).toEqual([{ code: 'opt-out', since: expect.any(String) }]);
  });
});
