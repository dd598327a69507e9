import { createHmac, randomBytes } from 'node:crypto';
import { MongoClient } from 'mongodb';
import request from 'supertest';
import { TOPICS } from '@kielto/contracts';
import { readTopic } from './support/kafka-topics';
import { captureLogs } from './support/log-capture';
import { bearer, eventually, MONGODB_URI, PARTNER_HASH_KEY, startStack, Stack } from './support/stack';

/*
 * Issue 16 part 5: people who are not customers (prospects, contact persons, names from bought lists) have the same
 * rights. `GET /v1/subjects/export?email=|phone=` gathers what the four services hold about a bare identifier, and
 * `DELETE /v1/subjects?email=|phone=` erases it while its refusals keep being honoured as keyed hashes (R8).
 */
jest.setTimeout(240_000);

const logs = captureLogs();

interface AuditRow {
  actor: string;
  role: string;
  method: string;
  route: string;
  status: number;
  requestId?: string;
  target?: Record<string, string>;
}
type Answer = { decision: string; reasons: { code: string }[] };

const run = randomBytes(3).toString('hex');
const keyed = (kind: 'email' | 'phone', value: string) =>
  `${kind}:${createHmac('sha256', PARTNER_HASH_KEY).update(value).digest('hex')}`;
const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();

describe('people who are not customers: export and erasure of a bare identifier', () => {
  let stack: Stack;
  let base: string;
  // A prospect's address (a trade-fair form) and a number from a bought list, known to no customer.
  const prospect = `prospekti.${run}@example.fi`;
  const listed = '+358405550101';
  const untouched = '+358405550102';
  // Someone who phoned to object to marketing calls, and nothing else.
  const objector = '+358405550103';
  const secretSource = `messulomake-${run}`;

  beforeAll(async () => {
    // Customers last: it reads the other services' URLs, which the stack sets as each one starts.
    stack = await startStack(['suppression', 'consents', 'directory-bans', 'customers'], {
      LOG_LEVEL: 'info',
      KIELTO_RETENTION_INTERVAL_MS: '0',
      KIELTO_EXPORT_TIMEOUT_MS: '5000',
    });
    base = stack.urls.customers;
    const decisions = [
      { email: prospect, channel: 'email', purpose: 'own-marketing', decision: 'grant' },
      { email: prospect, channel: 'all', purpose: 'partner-marketing', decision: 'prohibit' },
      { phone: listed, channel: 'phone', purpose: 'all', decision: 'prohibit' },
      { phone: objector, channel: 'phone', purpose: 'all', decision: 'prohibit' },
    ];
    for (const decision of decisions) {
      const res = await request(stack.urls.consents)
        .post('/v1/consents')
        .set(bearer('staff'))
        .send({ ...decision, source: secretSource, evidence: { reference: `ticket-${run}` } });
      expect(res.status).toBe(201);
    }
    for (const entry of [{ phone: listed, channel: 'phone', reason: 'robinson' }]) {
      expect(
        (await request(stack.urls.suppression).post('/v1/suppression/entries').set(bearer('staff')).send(entry)).status,
      ).toBe(201);
    }
  });
  afterAll(async () => {
    await stack?.close();
    logs.restore();
  });

  const exportOf = (query: Record<string, string>, role: 'dpo' | 'staff' | 'admin' = 'dpo') =>
    request(base).get('/v1/subjects/export').query(query).set(bearer(role));
  const erase = (query: Record<string, string>, role: 'dpo' | 'staff' | 'admin' = 'dpo') =>
    request(base).delete('/v1/subjects').query(query).set(bearer(role));
  const fields = (res: request.Response) =>
    [...new Set((res.body.errors as { field: string }[]).map((e) => e.field))].sort();
  const ledgerOf = async (query: Record<string, string>) => {
    const res = await request(stack.urls.consents).get('/v1/consents').query(query).set(bearer('admin'));
    expect(res.status).toBe(200);
    return res.body as { history: { decision: string; source: string }[] };
  };
  const answerOf = (query: Record<string, string>, ok: (b: Answer) => boolean, what: string) =>
    eventually(
      async () => {
        const res = await request(stack.urls.suppression)
          .get('/v1/suppression/check')
          .set(bearer('marketing'))
          .query(query);
        return res.status === 200 && ok(res.body as Answer) && (res.body as Answer);
      },
      20_000,
      what,
    );
  const codes = (answer: Answer) => answer.reasons.map((r) => r.code);
  const receive = async (body: object) => {
    const res = await request(base)
      .post('/v1/requests')
      .set(bearer('dpo'))
      .send({ receivedAt: daysAgo(2), channel: 'email', ...body });
    expect(res.status).toBe(201);
    return (res.body as { id: string }).id;
  };

  it('takes exactly one valid e-mail or phone, names the field otherwise, and writes nothing', async () => {
    for (const call of [exportOf, erase]) {
      const none = await call({});
      expect(none.status).toBe(400);
      expect(none.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(fields(none)).toEqual(['email', 'phone']);
      expect(fields(await call({ email: prospect, phone: listed }))).toEqual(['email', 'phone']);
      expect(fields(await call({ email: 'not-an-address' }))).toEqual(['email']);
      expect(fields(await call({ phone: '12' }))).toEqual(['phone']);
      expect(fields(await call({ customerId: '6f0b9c2e-0000-4000-8000-000000000000' }))).toEqual(['customerId']);
    }
    expect((await ledgerOf({ email: prospect })).history).toHaveLength(2);
    expect((await ledgerOf({ phone: listed })).history).toHaveLength(1);
  });

  it('is for the data protection officer and admin: staff get 403, and the refusal is audited', async () => {
    const requestId = `staff-try-${run}`;
    const exported = await exportOf({ email: prospect }, 'staff').set('x-request-id', requestId);
    expect(exported.status).toBe(403);
    expect(exported.headers['content-type']).toMatch(/application\/problem\+json/);
    expect((await erase({ email: prospect }, 'staff')).status).toBe(403);
    expect((await request(base).delete('/v1/subjects').query({ email: prospect })).status).toBe(401);
    const rows = await eventually(async () => {
      const res = await request(base).get('/v1/audit').query({ route: '/v1/subjects' }).set(bearer('admin'));
      const found = res.body as AuditRow[];
      return found.filter((r) => r.role === 'staff' && r.status === 403).length >= 1 && found;
    });
    const denied = await eventually(async () => {
      const res = await request(base).get('/v1/audit').query({ route: '/v1/subjects/export' }).set(bearer('admin'));
      return (res.body as AuditRow[]).find((r) => r.requestId === requestId);
    });
    expect(denied).toMatchObject({ role: 'staff', status: 403, method: 'GET' });
    expect(rows.find((r) => r.method === 'DELETE' && r.role === 'staff')).toMatchObject({ role: 'staff', status: 403 });
    expect((await ledgerOf({ email: prospect })).history).toHaveLength(2);
  });

  it('exports the ledger, suppression entries, desk requests and reads of the identifier', async () => {
    const requestId = await receive({ email: prospect.toUpperCase(), type: 'access' });
    // A read by staff, filed under the keyed hash of the address.
    const read = await request(stack.urls.consents)
      .get('/v1/consents')
      .query({ email: prospect })
      .set(bearer('staff'))
      .set('x-request-id', `staff-read-${run}`);
    expect(read.status).toBe(200);

    const subject = keyed('email', prospect);
    const exported = await eventually(async () => {
      const res = await exportOf({ email: ` ${prospect.toUpperCase()} ` });
      expect(res.status).toBe(200);
      const body = res.body as { reads: AuditRow[] };
      return body.reads.some((r) => r.requestId === `staff-read-${run}`) && res;
    });
    expect(exported.headers['cache-control']).toBe('no-store');
    const body = exported.body as {
      identifier: object;
      heldBy: unknown[];
      consents: { current: unknown[]; history: { decision: string; source: string; evidence: object }[] };
      suppression: { reason: string }[];
      requests: { id: string; status: string; trail: unknown[] }[];
      reads: AuditRow[];
    };
    expect(body.identifier).toEqual({ kind: 'email', value: prospect, subject });
    expect(body.heldBy).toEqual([]);
    expect(body.consents.current).toHaveLength(16);
    expect(body.consents.history.map((e) => e.decision)).toEqual(['grant', 'prohibit']);
    expect(body.consents.history[0]).toMatchObject({ source: secretSource, evidence: { reference: `ticket-${run}` } });
    expect(body.suppression).toEqual([]);
    expect(body.requests).toEqual([expect.objectContaining({ id: requestId, status: 'open', trail: [] })]);
    expect(body.reads.find((r) => r.requestId === `staff-read-${run}`)).toMatchObject({
      route: '/v1/consents',
      target: { subject },
    });

    const byPhone = await exportOf({ phone: '040 555 0101' });
    expect(byPhone.status).toBe(200);
    expect(byPhone.body.identifier).toEqual({ kind: 'phone', value: listed, subject: keyed('phone', listed) });
    expect((byPhone.body.suppression as { reason: string }[]).map((e) => e.reason)).toEqual(['robinson']);

    // The export itself is a read of the identifier, by the dpo.
    const own = await eventually(async () => {
      const res = await request(base).get('/v1/audit').query({ subject }).set(bearer('admin'));
      return (res.body as AuditRow[]).find((r) => r.route === '/v1/subjects/export' && r.role === 'dpo');
    });
    expect(own).toMatchObject({ method: 'GET', target: { subject } });
  });

  it('erases a bare identifier, and its refusals keep suppressing it as keyed hashes (R8)', async () => {
    const phoneQuestion = { channel: 'phone', purpose: 'own-marketing', phone: listed };
    const emailQuestion = { channel: 'email', purpose: 'own-marketing', email: prospect };
    // Before: the prohibition and the Robinson entry suppress the number; the prospect's grant allows e-mail; a bare
    // number with nothing recorded is allowed to be called (opt-out, R4).
    expect(codes(await answerOf(phoneQuestion, (b) => b.decision === 'suppress', 'number suppressed'))).toEqual(
      expect.arrayContaining(['prohibited', 'robinson']),
    );
    await answerOf(emailQuestion, (b) => b.decision === 'allow', 'prospect granted');
    const control = { channel: 'phone', purpose: 'own-marketing', phone: untouched };
    await answerOf(control, (b) => b.decision === 'allow', 'untouched number allowed');

    const objection = { channel: 'phone', purpose: 'own-marketing', phone: objector };
    expect(codes(await answerOf(objection, (b) => b.decision === 'suppress', 'objection honoured'))).toEqual([
      'prohibited',
    ]);

    const dsr = await receive({ phone: listed, type: 'erasure' });
    const erasedPhone = await erase({ phone: '+358 40 555 0101' })
      .set('x-kielto-dsr', dsr)
      .set('x-request-id', `erase-${run}`);
    expect(erasedPhone.status).toBe(202);
    expect(erasedPhone.body).toEqual({
      subject: keyed('phone', listed),
      status: 'erased',
      erasedAt: expect.any(String),
      ledgerEntriesErased: 1,
    });
    const erasedEmail = await erase({ email: prospect });
    expect(erasedEmail.status).toBe(202);
    expect(erasedEmail.body).toMatchObject({ subject: keyed('email', prospect), ledgerEntriesErased: 2 });

    expect((await erase({ phone: objector })).body).toMatchObject({ ledgerEntriesErased: 1 });

    // The ledgers and their evidence are gone.
    expect((await ledgerOf({ email: prospect })).history).toEqual([]);
    expect((await ledgerOf({ phone: listed })).history).toEqual([]);
    expect((await ledgerOf({ phone: objector })).history).toEqual([]);
    expect(await databaseHolds(`${stack.prefix}-consents`, [secretSource, `ticket-${run}`])).toEqual([]);

    // After: still suppressed. The tombstone (erased) stands for the erased prohibition; the Robinson entry stays.
    const phoneAfter = await answerOf(phoneQuestion, (b) => codes(b).includes('erased'), 'number erased');
    expect(phoneAfter.decision).toBe('suppress');
    expect(codes(phoneAfter)).toContain('robinson');
    const emailAfter = await answerOf(emailQuestion, (b) => codes(b).includes('erased'), 'prospect erased');
    expect(emailAfter.decision).toBe('suppress');
    for (const channel of ['phone', 'post']) {
      const partner = { channel, purpose: 'partner-marketing', phone: listed };
      expect((await answerOf(partner, () => true, 'partner question')).decision).toBe('suppress');
    }
    // The objection alone: without its tombstone the number would be allowed again (opt-out, R4).
    const objectionAfter = await answerOf(objection, (b) => codes(b).includes('erased'), 'objector erased');
    expect(objectionAfter).toMatchObject({
      decision: 'suppress',
      reasons: [expect.objectContaining({ code: 'erased' })],
    });
    const kept = await request(stack.urls.suppression)
      .get('/v1/suppression/entries')
      .query({ phone: listed })
      .set(bearer('staff'));
    expect((kept.body as { reason: string }[]).map((e) => e.reason)).toEqual(['robinson']);
    expect((await answerOf(control, () => true, 'control')).decision).toBe('allow');

    // The desk's trail names the erasure under the keyed hash; the audit record with the same request id names the
    // dpo and the keyed hash, never the number.
    const desk = await request(base).get(`/v1/requests/${dsr}`).set(bearer('dpo'));
    expect(desk.body.trail).toEqual([
      {
        at: expect.any(String),
        action: 'erasure',
        subject: keyed('phone', listed),
        actor: expect.any(String),
        requestId: `erase-${run}`,
      },
    ]);
    const audited = await eventually(async () => {
      const res = await request(base)
        .get('/v1/audit')
        .query({ subject: keyed('phone', listed) })
        .set(bearer('admin'));
      return (res.body as AuditRow[]).find((r) => r.requestId === `erase-${run}`);
    });
    expect(audited).toMatchObject({ method: 'DELETE', route: '/v1/subjects', role: 'dpo' });
    const trail = await request(base).get('/v1/audit').query({ route: '/v1/subjects' }).set(bearer('admin'));
    expect(JSON.stringify(trail.body)).not.toMatch(/555\s?0101|prospekti/);

    // On Kafka: the consents topic carries the tombstone marker, and never the identifier or the free text.
    const consentsTopic = await readTopic(`${stack.prefix}.${TOPICS.consents}`);
    const marker = consentsTopic
      .filter((m) => m.startsWith(`${keyed('phone', listed)} `))
      .map((m) => JSON.parse(m.slice(m.indexOf(' ') + 1)) as { type: string; data: { tombstone?: boolean } })
      .find((e) => e.type === 'fi.kielto.consent.ledger-erased.v1');
    expect(marker?.data.tombstone).toBe(true);
    // Logs name the keyed hash, never the identifier (the erasure is logged by customers and consents).
    const logText = logs.lines.join('');
    expect(logText).toContain(keyed('phone', listed));
    for (const secret of [prospect, listed, '0405550101', secretSource]) expect(logText).not.toContain(secret);
    const text = consentsTopic.join('\n');
    for (const secret of [prospect, listed, secretSource, `ticket-${run}`]) expect(text).not.toContain(secret);

    // A grant recorded after the erasure beats the tombstone (R8): the person came back and asked for e-mail.
    const again = await request(stack.urls.consents)
      .post('/v1/consents')
      .set(bearer('staff'))
      .send({ email: prospect, channel: 'email', purpose: 'own-marketing', decision: 'grant', source: 'web' });
    expect(again.status).toBe(201);
    await answerOf(emailQuestion, (b) => b.decision === 'allow', 'granted again after the erasure');
  });

  it("answers 409 for a customer's identifier, now or before, and links only a request about that identifier", async () => {
    const held = `asiakas.${run}@example.fi`;
    const former = `entinen.${run}@example.fi`;
    const create = await request(base)
      .post('/v1/customers')
      .set(bearer('staff'))
      .send({ kind: 'person', name: 'Asta Asiakas', emails: [held] });
    expect(create.status).toBe(201);
    const customerId = (create.body as { id: string }).id;

    const refused = await erase({ email: held });
    expect(refused.status).toBe(409);
    expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(refused.body.type).toMatch(/identifier-held$/);
    expect(refused.body.detail).toContain(customerId);
    expect(refused.body.detail).toContain('DELETE /v1/customers/:id');
    const exported = await exportOf({ email: held });
    expect(exported.status).toBe(200);
    expect(exported.body.heldBy).toEqual([{ id: customerId, customerNumber: expect.any(String) }]);

    // An address the customer held before: its entries may bind the customer (R8), so consents refuses.
    const other = await request(base)
      .post('/v1/customers')
      .set(bearer('staff'))
      .send({ kind: 'person', name: 'Eino Entinen', emails: [former], activeContract: true });
    const otherId = (other.body as { id: string }).id;
    await eventually(
      async () => {
        const res = await request(stack.urls.consents)
          .get('/v1/consents')
          .query({ email: former })
          .set(bearer('admin'));
        return (res.body as { current: { allowedByRelationship?: boolean }[] }).current.some(
          (r) => r.allowedByRelationship,
        );
      },
      20_000,
      'consents knows the holder',
    );
    expect(
      (await request(base).patch(`/v1/customers/${otherId}`).set(bearer('staff')).send({ emails: [] })).status,
    ).toBe(200);
    const formerly = await erase({ email: former });
    expect(formerly.status).toBe(409);
    expect(formerly.body.detail).toMatch(/holds or held/);

    // X-Kielto-Dsr: a request about a customer, or about another identifier, is not this erasure's.
    const bare = `irrallinen.${run}@example.fi`;
    const aboutCustomer = await receive({ customerId, type: 'erasure' });
    const aboutOther = await receive({ email: `toinen.${run}@example.fi`, type: 'erasure' });
    for (const dsr of [aboutCustomer, aboutOther]) {
      const res = await erase({ email: bare }).set('x-kielto-dsr', dsr);
      expect(res.status).toBe(422);
      expect(fields(res)).toEqual(['X-Kielto-Dsr']);
    }
    expect((await request(base).get(`/v1/requests/${aboutOther}`).set(bearer('dpo'))).body.trail).toEqual([]);
    // Nothing recorded for an address is not an error: nothing to erase.
    expect((await erase({ email: bare })).body).toMatchObject({ status: 'erased', ledgerEntriesErased: 0 });
  });
});

/** The given strings found anywhere in a database (every document of every collection). */
async function databaseHolds(database: string, needles: string[]): Promise<string[]> {
  const client = await MongoClient.connect(MONGODB_URI);
  try {
    const db = client.db(database);
    let text = '';
    for (const { name } of await db.listCollections().toArray()) {
      text += JSON.stringify(await db.collection(name).find().toArray());
    }
    return needles.filter((n) => text.includes(n));
  } finally {
    await client.close();
  }
}
