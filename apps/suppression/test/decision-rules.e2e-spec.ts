import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { RULES } from '@kielto/contracts';
import type { ServiceApp } from '@kielto/platform';
import { bearer, startStack, Stack } from '../../../test/support/stack';
import {
  check,
  codes,
  emailHash,
  eventuallyAnswer,
  phoneHash,
  SourceEvents,
  untilFresh,
  RELAXED_FRESHNESS,
  checkQuery,
  recordConsent,
  testIdentifiers,
} from './support/source-events';

/**
 * Every rule and reason code of docs/CONTRACT.md §3.5-3.7 over the real stack: the consents service for ledger entries
 * recorded through its API, and well-formed source events published to the test's topics for customers,
 * directory bans and entries the API cannot produce (an already expired grant).
 */
describe('suppression: decision rules and reason codes (docs/CONTRACT.md §3.5-3.7)', () => {
  let stack: Stack;
  let suppression: ServiceApp;
  let events: SourceEvents;
  const { email, phone } = testIdentifiers('+35840');
  const DAY = 86_400_000;
  const q = checkQuery;
  const consent = (body: Record<string, unknown>) => recordConsent(stack.urls.consents, body);
  const entry = (body: Record<string, unknown>) =>
    request(stack.urls.suppression).post('/v1/suppression/entries').set(bearer('staff')).send(body).expect(201);

  beforeAll(async () => {
    stack = await startStack(['consents', 'suppression'], RELAXED_FRESHNESS);
    suppression = stack.apps.suppression!;
    events = new SourceEvents(suppression);
    await untilFresh(suppression);
  });
  afterAll(() => stack?.close());

  it('answers no-consent (R1) for an unknown address, and allows phone and post to anyone who has not objected (R4)', async () => {
    const res = await eventuallyAnswer(
      suppression,
      q('email', 'partner-marketing', { email: email('nobody') }),
      () => true,
    );
    expect(res.body).toEqual({
      decision: 'suppress',
      reasons: [{ code: 'no-consent', rule: 'R1', source: RULES.R1, since: null }],
      asOf: expect.any(String),
    });
    expect(Date.now() - Date.parse(res.body.asOf)).toBeLessThan(5000);
    const phoneAnswer = await check(suppression, q('phone', 'partner-marketing', { phone: phone() }));
    expect(phoneAnswer.body).toMatchObject({ decision: 'allow', reasons: [] });
    const postAnswer = await check(suppression, q('post', 'market-research', { email: email('nobody') }));
    expect(postAnswer.body).toMatchObject({ decision: 'allow', reasons: [] });
  });

  it('allows after a grant (R1), answers consent-withdrawn (R6) after a blanket withdrawal, and lets a newer specific grant win', async () => {
    const address = email('grant');
    await consent({ email: address, channel: 'email', purpose: 'partner-marketing', decision: 'grant' });
    await eventuallyAnswer(
      suppression,
      q('email', 'partner-marketing', { email: address }),
      (b) => b.decision === 'allow',
    );

    await consent({ email: address, channel: 'all', purpose: 'all', decision: 'withdraw' });
    const withdrawn = await eventuallyAnswer(suppression, q('email', 'partner-marketing', { email: address }), (b) =>
      codes(b).includes('consent-withdrawn'),
    );
    expect(withdrawn.body.reasons).toEqual([
      { code: 'consent-withdrawn', rule: 'R6', source: RULES.R6, since: expect.any(String) },
    ]);

    await consent({ email: address, channel: 'email', purpose: 'partner-marketing', decision: 'grant' });
    await eventuallyAnswer(
      suppression,
      q('email', 'partner-marketing', { email: address }),
      (b) => b.decision === 'allow',
    );
    // The grant covers email/partner-marketing only: the blanket withdrawal still decides every other purpose.
    const sms = await check(suppression, q('email', 'profiling', { email: address }));
    expect(codes(sms.body)).toEqual(['consent-withdrawn']);
  });

  it('answers consent-expired (R1) for an expired grant, which still allows own marketing to a customer (R2)', async () => {
    const bare = email('expired');
    const past = {
      recordedAt: new Date(Date.now() - 10 * DAY).toISOString(),
      expiresAt: new Date(Date.now() - DAY).toISOString(),
    };
    await events.consent(
      { type: 'email', key: emailHash(bare) },
      { channel: 'all', purpose: 'all', decision: 'grant', ...past },
    );
    const expired = await eventuallyAnswer(suppression, q('email', 'partner-marketing', { email: bare }), (b) =>
      codes(b).includes('consent-expired'),
    );
    expect(expired.body.reasons).toEqual([
      { code: 'consent-expired', rule: 'R1', source: RULES.R1, since: past.expiresAt },
    ]);

    const customerId = randomUUID();
    const address = email('expired-customer');
    await events.customer(customerId, { emails: [address] });
    await events.consent(
      { type: 'customer', key: customerId },
      { channel: 'email', purpose: 'all', decision: 'grant', ...past },
    );
    await eventuallyAnswer(suppression, q('email', 'partner-marketing', { email: address }), (b) =>
      codes(b).includes('consent-expired'),
    );
    const own = await check(suppression, q('email', 'own-marketing', { email: address }));
    expect(own.body).toMatchObject({ decision: 'allow', reasons: [] });
  });

  it('soft opt-in (R2): an existing customer gets own marketing by email and sms until they opt out', async () => {
    const customerId = randomUUID();
    const address = email('soft');
    const number = phone();
    await events.customer(customerId, { emails: [address], phones: [number] });
    await eventuallyAnswer(suppression, q('email', 'own-marketing', { email: address }), (b) => b.decision === 'allow');
    expect((await check(suppression, q('sms', 'own-marketing', { phone: number }))).body.decision).toBe('allow');
    expect(codes((await check(suppression, q('email', 'partner-marketing', { email: address }))).body)).toEqual([
      'no-consent',
    ]);

    await consent({ email: address, channel: 'email', purpose: 'own-marketing', decision: 'withdraw' });
    const optedOut = await eventuallyAnswer(suppression, q('email', 'own-marketing', { email: address }), (b) =>
      codes(b).includes('consent-withdrawn'),
    );
    expect(optedOut.body.reasons[0]).toMatchObject({ code: 'consent-withdrawn', rule: 'R6' });
    // The withdrawal was about e-mail: sms keeps the soft opt-in, by number and by customer id.
    expect((await check(suppression, q('sms', 'own-marketing', { phone: number }))).body.decision).toBe('allow');
    expect((await check(suppression, q('sms', 'own-marketing', { customerId }))).body.decision).toBe('allow');
  });

  it("R3: an organisation role address and a named contact person's work address are opt-out (v1.1)", async () => {
    const customerId = randomUUID();
    const role = email('info');
    const person = email('contact.person');
    await events.customer(customerId, {
      kind: 'organization',
      emails: [role],
      contactPersonEmails: [person],
      name: 'Oy Testi Ab',
    });
    await eventuallyAnswer(
      suppression,
      q('email', 'partner-marketing', { email: role }),
      (b) => b.decision === 'allow',
    );
    expect(codes((await check(suppression, q('email', 'partner-marketing', { email: person }))).body)).toEqual([]);

    await consent({ email: role, channel: 'email', purpose: 'all', decision: 'withdraw' });
    const withdrawn = await eventuallyAnswer(
      suppression,
      q('email', 'partner-marketing', { email: role }),
      (b) => b.decision === 'suppress',
    );
    expect(withdrawn.body.reasons).toEqual([
      { code: 'consent-withdrawn', rule: 'R3', source: RULES.R3, since: expect.any(String) },
    ]);
  });

  it('prohibited (R5) beats every grant, whichever identifier of the customer the entry or the check uses', async () => {
    const customerId = randomUUID();
    const address = email('prohibit');
    const number = phone();
    await events.customer(customerId, { emails: [address], phones: [number] });
    await consent({ email: address, channel: 'all', purpose: 'all', decision: 'grant' });
    await eventuallyAnswer(
      suppression,
      q('email', 'partner-marketing', { email: address }),
      (b) => b.decision === 'allow',
    );

    await consent({ customerId, channel: 'all', purpose: 'all', decision: 'prohibit' });
    const contacts: Record<string, string>[] = [{ email: address }, { phone: number }, { customerId }];
    for (const contact of contacts) {
      const res = await eventuallyAnswer(suppression, q('phone', 'own-marketing', contact), (b) =>
        codes(b).includes('prohibited'),
      );
      expect(res.body.reasons).toEqual([
        { code: 'prohibited', rule: 'R5', source: RULES.R5, since: expect.any(String) },
      ]);
    }
    expect(codes((await check(suppression, q('email', 'partner-marketing', { email: address }))).body)).toEqual([
      'prohibited',
    ]);

    await consent({ customerId, channel: 'all', purpose: 'all', decision: 'lift-prohibition' });
    await eventuallyAnswer(
      suppression,
      q('email', 'partner-marketing', { email: address }),
      (b) => b.decision === 'allow',
    );
  });

  it('processing-restricted (R7): no marketing while restricted, whatever the consents say', async () => {
    const customerId = randomUUID();
    const address = email('restricted');
    await events.customer(customerId, { emails: [address] });
    await consent({ customerId, channel: 'all', purpose: 'all', decision: 'grant' });
    await eventuallyAnswer(
      suppression,
      q('email', 'partner-marketing', { email: address }),
      (b) => b.decision === 'allow',
    );

    const since = new Date().toISOString();
    await events.customer(customerId, { emails: [address], restrictedSince: since });
    const restricted = await eventuallyAnswer(
      suppression,
      q('post', 'own-marketing', { customerId }),
      (b) => b.decision === 'suppress',
    );
    expect(restricted.body.reasons).toEqual([{ code: 'processing-restricted', rule: 'R7', source: RULES.R7, since }]);
    expect(codes((await check(suppression, q('email', 'partner-marketing', { email: address }))).body)).toEqual([
      'processing-restricted',
    ]);

    await events.customer(customerId, { emails: [address] });
    await eventuallyAnswer(suppression, q('post', 'own-marketing', { customerId }), (b) => b.decision === 'allow');
  });

  it('erased (R8): after erasure the identifiers stay suppressed by their hash, on every channel', async () => {
    const customerId = randomUUID();
    const address = email('erased');
    const number = phone();
    await events.customer(customerId, { emails: [address], phones: [number] });
    await consent({ customerId, channel: 'all', purpose: 'all', decision: 'grant' });
    await eventuallyAnswer(suppression, q('email', 'own-marketing', { email: address }), (b) => b.decision === 'allow');

    await events.erased(customerId, { emails: [address], phones: [number] });
    const erased = await eventuallyAnswer(suppression, q('post', 'own-marketing', { email: address }), (b) =>
      codes(b).includes('erased'),
    );
    expect(erased.body.reasons[0]).toEqual({ code: 'erased', rule: 'R8', source: RULES.R8, since: expect.any(String) });
    expect((await check(suppression, q('phone', 'own-marketing', { phone: number }))).body.reasons[0].code).toBe(
      'erased',
    );
    expect((await check(suppression, q('sms', 'own-marketing', { customerId }))).body.reasons[0].code).toBe('erased');
    // R11: a partner learns that the identifier is suppressed, never which right was used.
    const byHash = await check(suppression, q('email', 'own-marketing', { emailHash: emailHash(address) }), 'partner');
    expect(byHash.body.reasons[0]).toEqual({ code: 'opt-out', since: expect.any(String) });
  });

  it('directory-ban (R9): a full ban suppresses phone and post for partner marketing only', async () => {
    const customerId = randomUUID();
    const number = phone();
    await events.customer(customerId, { phones: [number] });
    await events.ban(customerId, 'partial');
    await eventuallyAnswer(
      suppression,
      q('phone', 'partner-marketing', { phone: number }),
      (b) => b.decision === 'allow',
    );

    await events.ban(customerId, 'full');
    const banned = await eventuallyAnswer(suppression, q('phone', 'partner-marketing', { phone: number }), (b) =>
      codes(b).includes('directory-ban'),
    );
    expect(banned.body.reasons).toEqual([
      { code: 'directory-ban', rule: 'R9', source: RULES.R9, since: expect.any(String) },
    ]);
    expect((await check(suppression, q('post', 'partner-marketing', { customerId }))).body.reasons[0].code).toBe(
      'directory-ban',
    );
    expect((await check(suppression, q('phone', 'own-marketing', { phone: number }))).body.decision).toBe('allow');

    await events.banLifted(customerId);
    await eventuallyAnswer(
      suppression,
      q('phone', 'partner-marketing', { phone: number }),
      (b) => b.decision === 'allow',
    );
  });

  it('bounce and complaint suppress e-mail despite a grant, and nothing else', async () => {
    const bounced = email('bounce');
    const complained = email('complaint');
    for (const address of [bounced, complained])
      await consent({ email: address, channel: 'all', purpose: 'all', decision: 'grant' });
    await eventuallyAnswer(
      suppression,
      q('email', 'partner-marketing', { email: complained }),
      (b) => b.decision === 'allow',
    );
    await eventuallyAnswer(
      suppression,
      q('email', 'partner-marketing', { email: bounced }),
      (b) => b.decision === 'allow',
    );

    const created = await entry({ email: bounced.toUpperCase(), channel: 'email', reason: 'bounce' });
    expect(created.body).toEqual({
      id: expect.any(String),
      kind: 'email',
      reason: 'bounce',
      channel: 'email',
      since: expect.any(String),
      hash: emailHash(bounced),
    });
    // Applied before the 201: the instance that took the entry answers with it at once.
    const answer = await check(suppression, q('email', 'partner-marketing', { email: bounced }));
    expect(answer.body.reasons).toEqual([{ code: 'bounce', rule: 'R5', source: RULES.R5, since: created.body.since }]);
    expect((await check(suppression, q('post', 'partner-marketing', { email: bounced }))).body.decision).toBe('allow');

    await entry({ email: complained, channel: 'all', reason: 'complaint' });
    expect(codes((await check(suppression, q('email', 'own-marketing', { email: complained }))).body)).toEqual([
      'complaint',
    ]);
  });

  it('robinson suppresses phone and post for every purpose except own marketing to an existing customer', async () => {
    const customerId = randomUUID();
    const customerPhone = phone();
    const strangerPhone = phone();
    await events.customer(customerId, { phones: [customerPhone] });
    await eventuallyAnswer(
      suppression,
      q('sms', 'own-marketing', { phone: customerPhone }),
      (b) => b.decision === 'allow',
    );
    await entry({ phone: customerPhone, channel: 'all', reason: 'robinson' });
    await entry({ phone: strangerPhone, channel: 'all', reason: 'robinson' });

    expect((await check(suppression, q('phone', 'own-marketing', { phone: customerPhone }))).body.decision).toBe(
      'allow',
    );
    const partner = await check(suppression, q('phone', 'partner-marketing', { phone: customerPhone }));
    expect(partner.body.reasons).toEqual([
      { code: 'robinson', rule: 'R4', source: RULES.R4, since: expect.any(String) },
    ]);
    expect(codes((await check(suppression, q('post', 'market-research', { phone: customerPhone }))).body)).toEqual([
      'robinson',
    ]);
    expect(codes((await check(suppression, q('phone', 'own-marketing', { phone: strangerPhone }))).body)).toEqual([
      'robinson',
    ]);
    // Electronic channels are not the Robinson register's business.
    expect((await check(suppression, q('sms', 'own-marketing', { phone: customerPhone }))).body.decision).toBe('allow');
  });

  it('manual suppresses the given channel only', async () => {
    const number = phone();
    await consent({ phone: number, channel: 'all', purpose: 'all', decision: 'grant' });
    await eventuallyAnswer(suppression, q('sms', 'profiling', { phone: number }), (b) => b.decision === 'allow');
    await entry({ phone: number, channel: 'sms', reason: 'manual' });
    expect((await check(suppression, q('sms', 'profiling', { phone: number }))).body.reasons).toEqual([
      { code: 'manual', rule: 'R5', source: RULES.R5, since: expect.any(String) },
    ]);
    expect((await check(suppression, q('phone', 'profiling', { phone: number }))).body.decision).toBe('allow');
  });

  it('lets partners check by hashed identifier only, with the same answers', async () => {
    const address = email('hashed');
    const number = phone();
    await consent({ email: address, channel: 'all', purpose: 'all', decision: 'prohibit' });
    const clear = await eventuallyAnswer(
      suppression,
      q('email', 'partner-marketing', { email: address }),
      (b) => b.decision === 'suppress' && codes(b).includes('prohibited'),
    );
    const hashed = await check(
      suppression,
      q('email', 'partner-marketing', { emailHash: emailHash(address) }),
      'partner',
    );
    expect(hashed.status).toBe(200);
    expect(hashed.body.reasons).toEqual(clear.body.reasons);
    const byPhoneHash = await check(
      suppression,
      q('phone', 'partner-marketing', { phoneHash: phoneHash(number) }),
      'partner',
    );
    expect(byPhoneHash.body.decision).toBe('allow');

    const refused = await check(suppression, q('email', 'partner-marketing', { email: address }), 'partner');
    expect(refused.status).toBe(403);
    expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
  });

  it('rejects bad checks with problems naming the field, and callers without a valid key or role', async () => {
    const none = await check(suppression, { channel: 'email', purpose: 'own-marketing' });
    expect(none.status).toBe(400);
    expect(none.body.errors).toEqual([{ field: 'contact', message: expect.stringMatching(/exactly one of/) }]);
    const two = await check(suppression, {
      channel: 'email',
      purpose: 'own-marketing',
      email: email('x'),
      phone: phone(),
    });
    expect(two.status).toBe(400);
    const badChannel = await check(suppression, { channel: 'fax', purpose: 'own-marketing', email: email('x') });
    expect(badChannel.status).toBe(400);
    expect(badChannel.body.errors).toEqual([expect.objectContaining({ field: 'channel' })]);
    const badEmail = await check(suppression, { channel: 'email', purpose: 'own-marketing', email: 'not-an-address' });
    expect(badEmail.body.errors).toEqual([expect.objectContaining({ field: 'email' })]);
    expect(JSON.stringify(badEmail.body)).not.toContain('not-an-address');
    const badHash = await check(
      suppression,
      { channel: 'email', purpose: 'own-marketing', emailHash: 'ABC' },
      'partner',
    );
    expect(badHash.body.errors).toEqual([expect.objectContaining({ field: 'emailHash' })]);

    const noKey = await request(stack.urls.suppression)
      .get('/v1/suppression/check')
      .query({ channel: 'email', purpose: 'own-marketing', email: email('x') });
    expect(noKey.status).toBe(401);
    expect(noKey.headers['content-type']).toMatch(/application\/problem\+json/);
    const marketingEntry = await request(stack.urls.suppression)
      .post('/v1/suppression/entries')
      .set(bearer('marketing'))
      .send({ email: email('x'), channel: 'email', reason: 'manual' });
    expect(marketingEntry.status).toBe(403);
  });
});
