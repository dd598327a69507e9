import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import request from 'supertest';
import { CONSENT_EVENT_TYPES, TOPICS } from '@kielto/contracts';
import { EventLog } from '@kielto/platform';
import { bearer, eventually, MONGODB_URI, startStack, Stack } from '../../../test/support/stack';
import { CustomerEventsFixture } from './customer-events';

interface Reason {
  code: string;
  rule: string;
  since: string | null;
}
interface CheckAnswer {
  decision: 'allow' | 'suppress';
  reasons: Reason[];
  asOf: string;
}
interface HistoryEntry {
  entryId: string;
  subject: { type: string; key: string };
  channel: string;
  purpose: string;
  decision: string;
  recordedAt: string;
  expiresAt?: string;
  source: string;
  sequence: number;
  evidence: { noticeVersion?: string; capturedBy: string; reference?: string; agent?: string; requestId?: string };
}
interface CurrentRow {
  channel: string;
  purpose: string;
  consent: string;
  prohibited: boolean;
  since: string | null;
  expiresAt?: string;
}

describe('consents: the ledger of permissions and prohibitions (issue 4)', () => {
  let stack: Stack;
  let customers: CustomerEventsFixture;

  beforeAll(async () => {
    stack = await startStack(['consents', 'suppression']);
    customers = new CustomerEventsFixture(stack.apps.consents!);
  });
  afterAll(() => stack?.close());

  const uniqueEmail = (tag: string) => `${tag}.${randomUUID().slice(0, 8)}@example.fi`;

  const record = (body: Record<string, unknown>) =>
    request(stack.urls.consents).post('/v1/consents').set(bearer('staff')).send(body);

  const ledger = async (query: Record<string, string>) => {
    const res = await request(stack.urls.consents).get('/v1/consents').query(query).set(bearer('staff'));
    expect(res.status).toBe(200);
    return res.body as { current: CurrentRow[]; history: HistoryEntry[] };
  };

  const check = async (
    contact: Record<string, string>,
    channel: string,
    purpose: string,
  ): Promise<CheckAnswer | undefined> => {
    const res = await request(stack.urls.suppression)
      .get('/v1/suppression/check')
      .query({ channel, purpose, ...contact })
      .set(bearer('marketing'));
    return res.status === 200 ? (res.body as CheckAnswer) : undefined;
  };

  /** Polls suppression until its answer satisfies `ok`. */
  const answer = (
    contact: Record<string, string>,
    channel: string,
    purpose: string,
    ok: (a: CheckAnswer) => boolean,
    what: string,
  ) =>
    eventually(
      async () => {
        const a = await check(contact, channel, purpose);
        return a && ok(a) && a;
      },
      20000,
      what,
    );

  const allows = (a: CheckAnswer) => a.decision === 'allow';
  const suppressedFor = (code: string) => (a: CheckAnswer) =>
    a.decision === 'suppress' && a.reasons.some((r) => r.code === code);

  it('grant → allow; withdraw → suppress consent-withdrawn', async () => {
    const email = uniqueEmail('grant');
    const contact = { email };
    expect(
      (await record({ email, channel: 'email', purpose: 'own-marketing', decision: 'grant', source: 'web-form' }))
        .status,
    ).toBe(201);
    await answer(contact, 'email', 'own-marketing', allows, 'allow after a grant');

    const withdrawn = await record({
      email,
      channel: 'email',
      purpose: 'own-marketing',
      decision: 'withdraw',
      source: 'web-form',
    });
    expect(withdrawn.status).toBe(201);
    const a = await answer(contact, 'email', 'own-marketing', suppressedFor('consent-withdrawn'), 'consent-withdrawn');
    expect(a.reasons[0]).toMatchObject({ code: 'consent-withdrawn', since: withdrawn.body.recordedAt });
  });

  it('a wildcard grant with a 3-second expiry allows, then suppresses consent-expired after it, with no write', async () => {
    const phone = `+35840${Math.floor(1_000_000 + Math.random() * 8_999_999)}`;
    const email = uniqueEmail('expiry');
    const expiresAt = new Date(Date.now() + 3000).toISOString();
    const subjects: Record<string, string>[] = [{ email }, { phone }];
    for (const subject of subjects) {
      const res = await record({
        ...subject,
        channel: 'all',
        purpose: 'all',
        decision: 'grant',
        source: 'web-form',
        expiresAt,
      });
      expect(res.status).toBe(201);
      expect(res.body.expiresAt).toBe(expiresAt);
    }
    await answer({ email }, 'email', 'profiling', allows, 'allow before the expiry');
    await answer({ phone }, 'sms', 'market-research', allows, 'sms allow before the expiry');

    const expired = await answer({ email }, 'email', 'profiling', suppressedFor('consent-expired'), 'consent-expired');
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(expiresAt));
    expect(expired.reasons[0]).toMatchObject({ code: 'consent-expired', since: expiresAt });
    await answer({ phone }, 'sms', 'market-research', suppressedFor('consent-expired'), 'sms consent-expired');

    const { current, history } = await ledger({ email });
    expect(history).toHaveLength(1);
    expect(current.find((r) => r.channel === 'post' && r.purpose === 'profiling')).toEqual({
      channel: 'post',
      purpose: 'profiling',
      consent: 'expired',
      prohibited: false,
      since: expiresAt,
      expiresAt,
    });
  });

  it('prohibit overrides an existing grant; lift-prohibition restores it', async () => {
    const email = uniqueEmail('prohibit');
    const contact = { email };
    await record({ email, channel: 'email', purpose: 'all', decision: 'grant', source: 'web-form' }).expect(201);
    await answer(contact, 'email', 'partner-marketing', allows, 'allow after the grant');

    await record({ email, channel: 'all', purpose: 'all', decision: 'prohibit', source: 'customer-service' }).expect(
      201,
    );
    const prohibited = await answer(contact, 'email', 'partner-marketing', suppressedFor('prohibited'), 'prohibited');
    expect(prohibited.reasons[0]).toMatchObject({ code: 'prohibited', rule: 'R5' });
    let row = (await ledger(contact)).current.find((r) => r.channel === 'email' && r.purpose === 'partner-marketing');
    expect(row).toMatchObject({ consent: 'granted', prohibited: true });

    await record({
      email,
      channel: 'all',
      purpose: 'all',
      decision: 'lift-prohibition',
      source: 'customer-service',
    }).expect(201);
    await answer(contact, 'email', 'partner-marketing', allows, 'allow again after the lift');
    row = (await ledger(contact)).current.find((r) => r.channel === 'email' && r.purpose === 'partner-marketing');
    expect(row).toMatchObject({ consent: 'granted', prohibited: false });
  });

  it('lists every decision in order with its evidence, and the current state per channel × purpose', async () => {
    const email = uniqueEmail('history');
    const decisions = [
      {
        channel: 'email',
        purpose: 'own-marketing',
        decision: 'grant',
        source: 'web-form',
        evidence: { noticeVersion: 'pn-2025-01' },
      },
      {
        channel: 'all',
        purpose: 'profiling',
        decision: 'withdraw',
        source: 'customer-service',
        evidence: { capturedBy: 'agent-42', reference: 'ticket-1' },
      },
      { channel: 'sms', purpose: 'all', decision: 'prohibit', source: 'letter' },
      { channel: 'email', purpose: 'own-marketing', decision: 'withdraw', source: 'web-form' },
      {
        channel: 'email',
        purpose: 'own-marketing',
        decision: 'grant',
        source: 'web-form',
        evidence: { noticeVersion: 'pn-2025-02' },
      },
    ];
    const created: HistoryEntry[] = [];
    for (const d of decisions) {
      const res = await record({ email, ...d });
      expect(res.status).toBe(201);
      created.push(res.body as HistoryEntry);
    }

    const { current, history } = await ledger({ email: email.toUpperCase() });
    expect(history.map((h) => h.entryId)).toEqual(created.map((c) => c.entryId));
    expect(history.map((h) => h.sequence)).toEqual([1, 2, 3, 4, 5]);
    expect(history.map((h) => `${h.channel}/${h.purpose}/${h.decision}/${h.source}`)).toEqual(
      decisions.map((d) => `${d.channel}/${d.purpose}/${d.decision}/${d.source}`),
    );
    const times = history.map((h) => Date.parse(h.recordedAt));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    const staffKey = expect.stringMatching(/^staff-[0-9a-f]{8}$/);
    expect(history[0].evidence).toEqual({
      noticeVersion: 'pn-2025-01',
      capturedBy: staffKey,
      requestId: expect.any(String),
    });
    // A body's capturedBy is the caller's word: kept apart, never in place of the key id (issue 19, item 6).
    expect(history[1].evidence).toEqual({
      capturedBy: staffKey,
      agent: 'agent-42',
      reference: 'ticket-1',
      requestId: expect.any(String),
    });
    expect(history[0].subject.type).toBe('email');
    expect(JSON.stringify(history)).not.toContain('@');

    expect(current).toHaveLength(16);
    const row = (channel: string, purpose: string) =>
      current.find((r) => r.channel === channel && r.purpose === purpose);
    expect(row('email', 'own-marketing')).toEqual({
      channel: 'email',
      purpose: 'own-marketing',
      consent: 'granted',
      prohibited: false,
      since: created[4].recordedAt,
    });
    expect(row('phone', 'profiling')).toMatchObject({
      consent: 'withdrawn',
      prohibited: false,
      since: created[1].recordedAt,
    });
    expect(row('sms', 'profiling')).toMatchObject({
      consent: 'withdrawn',
      prohibited: true,
      since: created[2].recordedAt,
    });
    expect(row('post', 'market-research')).toEqual({
      channel: 'post',
      purpose: 'market-research',
      consent: 'none',
      prohibited: false,
      since: null,
    });
  });

  it('lands 50 concurrent decisions for one subject in a definite order, and suppression ends in the state of the last', async () => {
    const email = uniqueEmail('concurrent');
    // Two instances of the service: only the event log's unique sequence index can order their appends.
    const { start } = await import('../src/service');
    const second = await start(0);
    const urls = [stack.urls.consents, second.url];
    const decisions = Array.from({ length: 50 }, (_, i) => (i % 3 === 0 ? 'withdraw' : 'grant'));
    let results: request.Response[];
    try {
      results = await Promise.all(
        decisions.map((decision, i) =>
          request(urls[i % 2])
            .post('/v1/consents')
            .set(bearer('staff'))
            .send({
              email,
              channel: 'email',
              purpose: 'market-research',
              decision,
              source: 'load-test',
              evidence: { reference: `n${i}` },
            }),
        ),
      );
    } finally {
      await second.app.close();
    }
    const doneAt = Date.now();
    expect(results.map((r) => r.status)).toEqual(decisions.map(() => 201));

    const { history, current } = await ledger({ email });
    expect(history).toHaveLength(50);
    expect(new Set(history.map((h) => h.entryId))).toEqual(new Set(results.map((r) => r.body.entryId as string)));
    expect(history.map((h) => h.sequence)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    const times = history.map((h) => Date.parse(h.recordedAt));
    expect([...times].sort((a, b) => a - b)).toEqual(times);

    const last = history[49];
    const expected = last.decision === 'grant' ? 'allow' : 'suppress';
    expect(current.find((r) => r.channel === 'email' && r.purpose === 'market-research')?.consent).toBe(
      last.decision === 'grant' ? 'granted' : 'withdrawn',
    );
    // Settled: suppression's state is complete as of a moment after every decision was stored and relayed.
    const settled = await answer(
      { email },
      'email',
      'market-research',
      (a) => Date.parse(a.asOf) > doneAt + 1500 && a.decision === expected,
      `suppression to settle on the last decision (${last.decision})`,
    );
    if (expected === 'suppress')
      expect(settled.reasons[0]).toMatchObject({ code: 'consent-withdrawn', since: last.recordedAt });
  });

  it('applies entries of a customer and of all its identifiers to the customer, whichever identifier is asked', async () => {
    const customerId = randomUUID();
    const email = uniqueEmail('customer');
    const phone = `+35850${Math.floor(1_000_000 + Math.random() * 8_999_999)}`;
    await customers.created(customerId, { emails: [email], phones: [phone], language: 'sv' });

    const byEmail = await record({ email, channel: 'email', purpose: 'all', decision: 'grant', source: 'web-form' });
    const byCustomer = await record({
      customerId,
      channel: 'all',
      purpose: 'profiling',
      decision: 'withdraw',
      source: 'customer-service',
    });
    const byPhone = await record({
      phone,
      channel: 'sms',
      purpose: 'own-marketing',
      decision: 'prohibit',
      source: 'sms',
    });
    const ids = [byEmail, byCustomer, byPhone].map((r) => r.body.entryId as string);

    const merged = await eventually(
      async () => {
        const view = await ledger({ customerId });
        return view.history.length === 3 && view;
      },
      20000,
      'the customer projection to merge the identifiers',
    );
    expect(merged.history.map((h) => h.entryId)).toEqual(ids);
    const queries: Record<string, string>[] = [{ email: email.toUpperCase() }, { phone }];
    for (const query of queries) {
      expect((await ledger(query)).history.map((h) => h.entryId)).toEqual(ids);
    }
    const row = (channel: string, purpose: string) =>
      merged.current.find((r) => r.channel === channel && r.purpose === purpose);
    expect(row('email', 'own-marketing')).toMatchObject({ consent: 'granted', prohibited: false });
    expect(row('email', 'profiling')).toMatchObject({ consent: 'withdrawn' });
    expect(row('sms', 'own-marketing')).toMatchObject({ consent: 'none', prohibited: true });

    // A bare identifier of nobody stands for itself only.
    expect((await ledger({ email: uniqueEmail('nobody') })).history).toEqual([]);
  });

  it('deletes the ledgers of an erased customer and of its identifiers, keeping only the erasure markers', async () => {
    const customerId = randomUUID();
    const email = uniqueEmail('erased');
    await customers.created(customerId, { emails: [email] });
    await record({ customerId, channel: 'all', purpose: 'all', decision: 'grant', source: 'web-form' }).expect(201);
    await record({ email, channel: 'email', purpose: 'all', decision: 'withdraw', source: 'web-form' }).expect(201);
    await record({ email, channel: 'all', purpose: 'all', decision: 'prohibit', source: 'letter' }).expect(201);
    await eventually(
      async () => (await ledger({ customerId })).history.length === 3,
      20000,
      'the customer to be projected',
    );

    const erasedEvent = await customers.erased(customerId, { emails: [email] });
    await eventually(
      async () => (await ledger({ customerId })).history.length === 0 && (await ledger({ email })).history.length === 0,
      20000,
      'the ledgers to be erased',
    );

    const log = stack.apps.consents!.app.get(EventLog);
    const emailKey = `email:${customers.emailHash(email)}`;
    const markers = async () => [
      ...(await log.history(TOPICS.consents, `customer:${customerId}`)),
      ...(await log.history(TOPICS.consents, emailKey)),
    ];
    const after = await markers();
    expect(after.map((e) => `${e.subject}#${e.sequence}:${e.type}`)).toEqual([
      `customer:${customerId}#2:${CONSENT_EVENT_TYPES.erased}`,
      `${emailKey}#3:${CONSENT_EVENT_TYPES.erased}`,
    ]);
    expect(JSON.stringify(after)).not.toContain('@');
    // The identifier's keyed hash stays as a tombstone in place of its refusals (R8); a customer id is no identifier.
    expect(after.map((e) => (e.data as { tombstone?: boolean }).tombstone)).toEqual([undefined, true]);

    // Redelivery changes nothing; later decisions continue the sequence above the floor.
    await customers.redeliver(erasedEvent);
    const later = await record({ email, channel: 'email', purpose: 'all', decision: 'withdraw', source: 'web-form' });
    expect(later.body.sequence).toBe(4);
    await eventually(async () => (await ledger({ email })).history.length === 1, 20000, 'the new entry');
    expect((await markers()).filter((e) => e.type === CONSENT_EVENT_TYPES.erased)).toHaveLength(2);
  });

  it('finds who holds an identifier by key: follows a rectification and an erasure, keeps a shared ledger, skips a stale slot', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const [before, after, nobody] = [uniqueEmail('before'), uniqueEmail('after'), uniqueEmail('nobody')];
    const ownEntryIn = async (query: Record<string, string>, customerId: string) =>
      (await ledger(query)).history.some((h) => h.subject.type === 'customer' && h.subject.key === customerId);

    await customers.created(a, { emails: [before] });
    await record({ customerId: a, channel: 'post', purpose: 'all', decision: 'withdraw', source: 'letter' }).expect(
      201,
    );
    await eventually(async () => ownEntryIn({ email: before }, a), 20000, 'the owner of the first address');

    // Rectified: the new address finds the customer, the old one stands for itself only.
    await customers.updated(a, { emails: [after], formerEmails: [before] });
    await eventually(async () => ownEntryIn({ email: after }, a), 20000, 'the owner of the rectified address');
    expect(await ownEntryIn({ email: before }, a)).toBe(false);

    // A second holder of the address; the shared address's own ledger binds them both.
    await customers.created(b, { emails: [after] });
    await record({ customerId: b, channel: 'phone', purpose: 'all', decision: 'withdraw', source: 'call' }).expect(201);
    await record({ email: after, channel: 'email', purpose: 'all', decision: 'withdraw', source: 'web-form' }).expect(
      201,
    );
    await eventually(async () => (await ledger({ customerId: b })).history.length === 2, 20000, 'b projected');

    // Erasing the first holder: the owner found is now the other one, and the address's ledger stays (R8).
    await customers.erased(a, { emails: [after] });
    await eventually(async () => ownEntryIn({ email: after }, b), 20000, 'the remaining holder');
    expect(await ownEntryIn({ email: after }, a)).toBe(false);
    expect((await ledger({ email: after })).history.some((h) => h.subject.type === 'email')).toBe(true);

    // A slot naming a customer that does not hold the identifier (a crash before the projection) is skipped.
    const client = await MongoClient.connect(MONGODB_URI);
    try {
      const slots = client
        .db(`${stack.prefix}-consents`)
        .collection<{ _id: string; customerId?: string }>('customer_identifiers');
      await slots.insertOne({ _id: `email:${customers.emailHash(nobody)}#0`, customerId: b });
      expect(await ownEntryIn({ email: nobody }, b)).toBe(false);
      expect((await ledger({ email: nobody })).history).toEqual([]);
    } finally {
      await client.close();
    }
  });

  describe('bad input → 400 problem naming the field, nothing written', () => {
    const email = `bad.${randomUUID().slice(0, 8)}@example.fi`;
    const valid = { email, channel: 'email', purpose: 'own-marketing', decision: 'grant', source: 'web-form' };

    it.each([
      ['unknown channel', { ...valid, channel: 'fax' }, 'channel'],
      ['unknown purpose', { ...valid, purpose: 'spam' }, 'purpose'],
      ['unknown decision', { ...valid, decision: 'maybe' }, 'decision'],
      ['malformed email', { ...valid, email: 'not-an-email' }, 'email'],
      ['malformed phone', { ...valid, email: undefined, phone: '12' }, 'phone'],
      ['expiresAt in the past', { ...valid, expiresAt: '2020-01-01T00:00:00.000Z' }, 'expiresAt'],
      [
        'expiresAt on a withdrawal',
        { ...valid, decision: 'withdraw', expiresAt: new Date(Date.now() + 86_400_000).toISOString() },
        'expiresAt',
      ],
      ['no subject', { ...valid, email: undefined }, 'email'],
      ['two subjects', { ...valid, phone: '+358401234567' }, 'phone'],
      ['missing source', { ...valid, source: undefined }, 'source'],
    ])('%s', async (_, body, field) => {
      const res = await record(body);
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
      expect(JSON.stringify(res.body)).not.toContain(email);
    });

    it('wrote nothing for any of them', async () => {
      expect((await ledger({ email })).history).toEqual([]);
    });

    it('rejects a read without exactly one subject', async () => {
      const none = await request(stack.urls.consents).get('/v1/consents').set(bearer('staff'));
      expect(none.status).toBe(400);
      expect(none.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'customerId' })]));
      const two = await request(stack.urls.consents)
        .get('/v1/consents')
        .query({ email, phone: '+358401234567' })
        .set(bearer('staff'));
      expect(two.status).toBe(400);
    });
  });
});
