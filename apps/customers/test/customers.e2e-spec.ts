import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createHmac, randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { MongoClient } from 'mongodb';
import request from 'supertest';
import {
  bearer,
  eventually,
  KEYS,
  MONGODB_URI,
  PARTNER_HASH_KEY,
  ServiceName,
  startStack,
  Stack,
} from '../../../test/support/stack';
import { readTopic } from '../../../test/support/kafka-topics';
import { captureLogs } from '../../../test/support/log-capture';

/*
 * The customers service over HTTP and Kafka against the real stack: suppression (and consents, directory bans
 * when present) consume what it publishes. Every line the services log is captured and, with every message of
 * the test's customers topic and every document of the customers database, scanned for identity codes in clear.
 */

// Starting four services against real Kafka takes seconds; the per-project testTimeout does not reach here.
jest.setTimeout(120_000);

const KAFKA_BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';

const IDENTITY_CODES = ['131052-308T', '010594Y202E', '020594X303B', '010516B403T', '010501A5013', '040404A605B'];
const usedCodes = new Set<string>();
const code = (i: number) => {
  usedCodes.add(IDENTITY_CODES[i]);
  return IDENTITY_CODES[i];
};

const appExists = (name: ServiceName) => existsSync(join(__dirname, '..', '..', name, 'src', 'service.ts'));

// ---- log capture: every line of every service is kept ----
const logs = captureLogs();
const captured = logs.lines;

describe('customers service', () => {
  let stack: Stack;
  let base: string;
  const run = randomBytes(3).toString('hex');
  const email = (name: string) => `${name}.${run}@example.fi`;

  beforeAll(async () => {
    // Customers last: its export reads the other services' URLs, which the stack sets as each one starts.
    const services = (['suppression', 'consents', 'directory-bans'] as ServiceName[]).filter(appExists);
    stack = await startStack([...services, 'customers'], {
      LOG_LEVEL: 'info',
      KIELTO_SERVICE_KEY: KEYS.admin,
      KIELTO_PII_KEYS: `test-2:${randomBytes(32).toString('base64')},test-1:${randomBytes(32).toString('base64')}`,
      KIELTO_PII_HASH_KEY: 'test-pii-hash-key-0123456789abcdef0123',
      KIELTO_EXPORT_TIMEOUT_MS: '5000',
    });
    base = stack.urls.customers;
  });
  afterAll(async () => {
    await stack?.close();
    if (stack) await dropTestData(stack.prefix);
    logs.restore();
  });

  const staff = () => bearer('staff');
  const dpo = () => bearer('dpo');
  const create = (body: object) => request(base).post('/v1/customers').set(staff()).send(body);
  const patch = (id: string, body: object) => request(base).patch(`/v1/customers/${id}`).set(staff()).send(body);

  /**
   * The customer's events as published on the test's customers topic, oldest first, each once (delivery is at least
   * once: erasure publishes again what redaction changed, and consumers deduplicate by event id).
   */
  const eventsOf = async (customerId: string): Promise<CustomerEvent[]> => {
    const byId = new Map<string, CustomerEvent>();
    for (const message of await readTopic(`${stack.prefix}.kielto.customers.v1`)) {
      const event = JSON.parse(message.slice(message.indexOf(' ') + 1)) as CustomerEvent;
      if (event.subject === customerId) byId.set(event.id, event);
    }
    return [...byId.values()].sort((a, b) => a.sequence - b.sequence);
  };
  const latestEventOf = async (customerId: string): Promise<CustomerEvent> => (await eventsOf(customerId)).at(-1)!;
  const check = (query: Record<string, string>) =>
    request(stack.urls.suppression).get('/v1/suppression/check').set(bearer('marketing')).query(query);

  /** Polls suppression until its answer for the query satisfies `ok`. */
  const answerOf = (
    query: Record<string, string>,
    ok: (body: { decision: string; reasons: { code: string }[] }) => boolean,
    what: string,
  ) =>
    eventually(
      async () => {
        const res = await check(query);
        return res.status === 200 && ok(res.body) && res.body;
      },
      15000,
      what,
    );

  it('rejects an invalid identity code, e-mail, phone or business ID with 400 naming the field, and writes nothing', async () => {
    const badCode = await create({
      kind: 'person',
      name: 'Matti Virhe',
      personalIdentityCode: '131052-308X',
      emails: [email('bad-code')],
    });
    expect(badCode.status).toBe(400);
    expect(badCode.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(badCode.body.errors).toEqual([expect.objectContaining({ field: 'personalIdentityCode' })]);
    expect(JSON.stringify(badCode.body)).not.toContain('131052-308X');

    const badEmail = await create({ kind: 'person', name: 'Matti Virhe', emails: ['not-an-address'] });
    expect(badEmail.status).toBe(400);
    expect(badEmail.body.errors).toEqual([expect.objectContaining({ field: 'emails' })]);

    const badPhone = await create({ kind: 'person', name: 'Matti Virhe', phones: ['12'] });
    expect(badPhone.status).toBe(400);
    expect(badPhone.body.errors).toEqual([expect.objectContaining({ field: 'phones' })]);

    const badPerson = await create({
      kind: 'organization',
      name: 'Oy Ab',
      businessId: '0112038-8',
      contactPersons: [{ name: 'Maija', email: 'nope' }],
    });
    expect(badPerson.status).toBe(400);
    expect(badPerson.body.errors.map((e: { field: string }) => e.field).sort()).toEqual([
      'businessId',
      'contactPersons[0].email',
    ]);

    const unknownField = await create({ kind: 'person', name: 'Matti', favouriteColour: 'blue' });
    expect(unknownField.status).toBe(400);
    expect(unknownField.body.errors).toEqual([expect.objectContaining({ field: 'favouriteColour' })]);

    const codeForOrganisation = await create({ kind: 'organization', name: 'Oy Ab', personalIdentityCode: code(5) });
    expect(codeForOrganisation.status).toBe(400);
    expect(codeForOrganisation.body.errors).toEqual([expect.objectContaining({ field: 'personalIdentityCode' })]);

    const nothing = await request(base)
      .get('/v1/customers')
      .set(staff())
      .query({ email: email('bad-code') });
    expect(nothing.status).toBe(200);
    expect(nothing.body).toEqual([]);
  });

  it('refuses callers without a key (401) and roles other than staff/admin (403)', async () => {
    expect((await request(base).get('/v1/customers').query({ email: 'a@example.fi' })).status).toBe(401);
    expect(
      (await request(base).get('/v1/customers').set(bearer('marketing')).query({ email: 'a@example.fi' })).status,
    ).toBe(403);
    expect(
      (await request(base).post('/v1/customers').set(bearer('partner')).send({ kind: 'person', name: 'X' })).status,
    ).toBe(403);
  });

  it('creates a person with a customer number, masks the identity code, and finds it by upper-cased e-mail, phone and number', async () => {
    const created = await create({
      kind: 'person',
      name: 'Matti Meikäläinen',
      personalIdentityCode: code(0).toLowerCase(),
      language: 'sv',
      emails: [`  ${email('Matti.Lookup').toUpperCase()} `],
      phones: ['040 123 4567'],
      address: { street: 'Mannerheimintie 1', postalCode: '00100', city: 'Helsinki', country: 'FI' },
      activeContract: true,
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      customerNumber: expect.stringMatching(/^K\d{8}$/),
      kind: 'person',
      language: 'sv',
      emails: [email('matti.lookup')],
      phones: ['+358401234567'],
      activeContract: true,
      restricted: false,
      version: 1,
    });
    expect(created.body.personalIdentityCode).toBe('**********T');
    const { id, customerNumber } = created.body;

    const fetched = await request(base).get(`/v1/customers/${id}`).set(staff());
    expect(fetched.status).toBe(200);
    expect(fetched.body).toEqual(created.body);
    expect(JSON.stringify(fetched.body)).not.toContain(code(0));

    const byEmail = await request(base)
      .get('/v1/customers')
      .set(staff())
      .query({ email: email('MATTI.LOOKUP').toUpperCase() });
    expect(byEmail.status).toBe(200);
    expect(byEmail.body.map((c: { id: string }) => c.id)).toEqual([id]);

    const byPhone = await request(base).get('/v1/customers').set(staff()).query({ phone: '+358 40 1234567' });
    expect(byPhone.body.map((c: { id: string }) => c.id)).toContain(id);

    const byNumber = await request(base)
      .get('/v1/customers')
      .set(staff())
      .query({ customerNumber: `${customerNumber.slice(0, 5).toLowerCase()} ${customerNumber.slice(5)}` });
    expect(byNumber.body.map((c: { id: string }) => c.id)).toEqual([id]);

    const byCode = await request(base)
      .post('/v1/customers/search')
      .set(dpo())
      .send({ personalIdentityCode: code(0) });
    expect(byCode.status).toBe(200);
    expect(byCode.body.map((c: { id: string }) => c.id)).toEqual([id]);

    const mistyped = customerNumber.slice(0, 8) + String((Number(customerNumber[8]) + 1) % 10);
    const badNumber = await request(base).get('/v1/customers').set(staff()).query({ customerNumber: mistyped });
    expect(badNumber.status).toBe(400);
    expect(badNumber.body.errors).toEqual([expect.objectContaining({ field: 'customerNumber' })]);

    expect((await request(base).get(`/v1/customers/${randomUUIDLike()}`).set(staff())).status).toBe(404);
    expect((await request(base).get('/v1/customers/not-an-id').set(staff())).status).toBe(404);
  });

  it('rectifies with PATCH, keeping the names of changed fields (not values), and lookups follow', async () => {
    const created = await create({
      kind: 'person',
      name: 'Liisa Vanha',
      emails: [email('liisa.old')],
      personalIdentityCode: code(1),
    });
    const { id } = created.body;
    const patched = await request(base)
      .patch(`/v1/customers/${id}`)
      .set(staff())
      .send({ name: 'Liisa Uusi', emails: [email('liisa.new')], personalIdentityCode: code(2) });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      name: 'Liisa Uusi',
      emails: [email('liisa.new')],
      version: 2,
      personalIdentityCode: '**********B',
    });
    expect(patched.body.rectifications).toEqual([
      {
        at: expect.any(String),
        actor: expect.stringMatching(/^staff-/),
        fields: ['name', 'personalIdentityCode', 'emails'],
      },
    ]);
    expect(JSON.stringify(patched.body.rectifications)).not.toContain('Liisa');

    const unchanged = await request(base).patch(`/v1/customers/${id}`).set(staff()).send({ name: 'Liisa Uusi' });
    expect(unchanged.body.version).toBe(2);

    const old = await request(base)
      .get('/v1/customers')
      .set(staff())
      .query({ email: email('liisa.old') });
    expect(old.body).toEqual([]);
    const fresh = await request(base)
      .get('/v1/customers')
      .set(staff())
      .query({ email: email('liisa.new') });
    expect(fresh.body.map((c: { id: string }) => c.id)).toEqual([id]);
    const byOldCode = await request(base)
      .post('/v1/customers/search')
      .set(dpo())
      .send({ personalIdentityCode: code(1) });
    expect(byOldCode.body).toEqual([]);

    const badPatch = await request(base).patch(`/v1/customers/${id}`).set(staff()).send({ kind: 'organization' });
    expect(badPatch.status).toBe(400);
    const badCode = await request(base)
      .patch(`/v1/customers/${id}`)
      .set(staff())
      .send({ personalIdentityCode: '010594Y2021' });
    expect(badCode.status).toBe(400);
    expect(badCode.body.errors).toEqual([expect.objectContaining({ field: 'personalIdentityCode' })]);
  });

  it('finds customers by key: every holder of an address, never a stale slot; rectification moves and erasure removes the lookup; a lost slot is repaired by the next write', async () => {
    const ids = async (query: Record<string, string>) => {
      const res = await request(base).get('/v1/customers').set(staff()).query(query);
      expect(res.status).toBe(200);
      return (res.body as { id: string }[]).map((c) => c.id).sort();
    };
    const client = await MongoClient.connect(MONGODB_URI);
    try {
      const lookups = client
        .db(`${stack.prefix}-customers`)
        .collection<{ _id: string; customerId?: string }>('customer_lookups');
      const keyOf = (value: string) => `email:${createHmac('sha256', PARTNER_HASH_KEY).update(value).digest('hex')}`;
      const slotsOf = async (value: string) =>
        (await lookups.find({ _id: { $regex: `^${keyOf(value)}#` } }).toArray()).map((s) => s.customerId ?? null);

      const shared = email('slot.shared');
      const other = (await create({ kind: 'person', name: 'Toinen', emails: [email('slot.other')] })).body.id as string;
      // Slots naming a customer that does not hold the address, and one that does not exist (what a crash between
      // a slot and its commit leaves): both are skipped.
      await lookups.insertMany([
        { _id: `${keyOf(shared)}#0`, customerId: other },
        { _id: `${keyOf(shared)}#1`, customerId: randomUUIDLike() },
      ]);
      const a = (await create({ kind: 'person', name: 'Aino', emails: [shared], phones: ['050 111 2233'] })).body;
      const b = (await create({ kind: 'organization', name: 'Bee Oy', emails: [shared.toUpperCase()] })).body;
      expect(await ids({ email: shared })).toEqual([a.id, b.id].sort());
      expect(await ids({ phone: '+358501112233' })).toEqual([a.id]);
      expect(await ids({ customerNumber: a.customerNumber })).toEqual([a.id]);

      // Rectification moves the lookup and vacates the old slot.
      const moved = email('slot.moved');
      expect((await patch(a.id, { emails: [moved] })).status).toBe(200);
      expect(await ids({ email: shared })).toEqual([b.id]);
      expect(await ids({ email: moved })).toEqual([a.id]);
      expect(await slotsOf(shared)).not.toContain(a.id);

      // Erasure removes it.
      expect((await request(base).delete(`/v1/customers/${b.id}`).set(staff())).status).toBe(202);
      expect(await ids({ email: shared })).toEqual([]);
      expect(await slotsOf(shared)).not.toContain(b.id);
      expect(await ids({ customerNumber: b.customerNumber })).toEqual([]);

      // A slot lost (vacated by hand) is made again by the customer's next write.
      await lookups.updateMany({ customerId: a.id }, { $unset: { customerId: '' } });
      expect(await ids({ email: moved })).toEqual([]);
      expect((await patch(a.id, { name: 'Aino Uusi' })).status).toBe(200);
      expect(await ids({ email: moved })).toEqual([a.id]);
      expect(await ids({ phone: '050 111 2233' })).toEqual([a.id]);
    } finally {
      await client.close();
    }
  });

  it('keeps concurrent rectifications of one customer in a definite order without losing a committed one', async () => {
    const { id } = (await create({ kind: 'person', name: 'Kilpa', emails: [email('race')] })).body;
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        request(base)
          .patch(`/v1/customers/${id}`)
          .set(staff())
          .send({ name: `Kilpa ${i}` }),
      ),
    );
    const ok = results.filter((r) => r.status === 200);
    for (const r of results) expect([200, 409]).toContain(r.status);
    expect(ok.length).toBeGreaterThan(0);
    const final = await request(base).get(`/v1/customers/${id}`).set(staff());
    // Every successful PATCH committed exactly one version, in a single line of versions.
    expect(final.body.version).toBe(1 + ok.length);
    expect(new Set(ok.map((r) => r.body.version)).size).toBe(ok.length);
    expect(final.body.rectifications).toHaveLength(ok.length);
  });

  it('finishes a change whose writer died after proposing it, so a customer is never blocked and nothing is half-done', async () => {
    const { id } = (await create({ kind: 'person', name: 'Keskeytynyt', emails: [email('crash')] })).body;
    const client = await MongoClient.connect(MONGODB_URI);
    try {
      type RevisionDoc = { _id: string; record: { name: string }; payload: { listing: { name: string } } };
      const revisions = client.db(`${stack.prefix}-customers`).collection<RevisionDoc>('customer_revisions');
      const committed = (await revisions.findOne({ _id: `${id}:1` }))!;
      // A writer proposed version 2 (a new name) and died before appending its event.
      await revisions.insertOne({
        ...committed,
        _id: `${id}:2`,
        version: 2,
        type: 'fi.kielto.customer.updated.v1',
        record: { ...committed.record, name: 'Kesken' },
        payload: { ...committed.payload, listing: { ...committed.payload.listing, name: 'Kesken' } },
        createdAt: new Date(),
      } as RevisionDoc);
    } finally {
      await client.close();
    }
    // Invisible while uncommitted: readers follow the event log, which has no version 2.
    expect((await request(base).get(`/v1/customers/${id}`).set(staff())).body).toMatchObject({
      name: 'Keskeytynyt',
      version: 1,
    });

    // The next writer finds version 2 taken, publishes the abandoned proposal as it was, and applies its own on top.
    const patched = await request(base).patch(`/v1/customers/${id}`).set(staff()).send({ language: 'en' });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ name: 'Kesken', language: 'en', version: 3 });
    const byEmail = await eventually(
      async () => {
        const res = await request(base)
          .get('/v1/customers')
          .set(staff())
          .query({ email: email('crash') });
        return res.body[0]?.version === 3 && res.body[0];
      },
      5000,
      'read model at version 3',
    );
    expect(byEmail.name).toBe('Kesken');
  });

  it('restriction makes suppression answer processing-restricted, still allows rectification (R7) without lifting it, and lifting restores the answer', async () => {
    const address = email('rajoitus');
    const { id } = (await create({ kind: 'person', name: 'Rauha Rajoitus', emails: [address], activeContract: true }))
      .body;
    const query = { channel: 'email', purpose: 'own-marketing', email: address.toUpperCase() };
    // Soft opt-in (R2): own marketing to an existing customer is allowed until they object.
    const before = await answerOf(query, (b) => b.decision === 'allow', 'allow before restriction');

    const restricted = await request(base)
      .put(`/v1/customers/${id}/restriction`)
      .set(staff())
      .send({ reason: 'accuracy contested' });
    expect(restricted.status).toBe(200);
    expect(restricted.body).toMatchObject({
      restricted: true,
      restriction: { reason: 'accuracy contested', since: expect.any(String) },
    });
    const during = await answerOf(query, (b) => b.decision === 'suppress', 'suppress while restricted');
    expect(during.reasons).toEqual(
      expect.arrayContaining([expect.objectContaining({ code: 'processing-restricted', rule: 'R7' })]),
    );

    // Rectification is what resolves a restriction (R7): allowed, and the restriction stays in force.
    const patch = await request(base).patch(`/v1/customers/${id}`).set(staff()).send({ name: 'Rauha Oikaistu' });
    expect(patch.status).toBe(200);
    expect(patch.body).toMatchObject({
      name: 'Rauha Oikaistu',
      restricted: true,
      restriction: restricted.body.restriction,
      version: 3,
    });
    const [, , rectified] = await eventsOf(id);
    expect(rectified).toMatchObject({
      type: 'fi.kielto.customer.updated.v1',
      data: { restrictedSince: restricted.body.restriction.since },
    });
    expect(
      (await request(base).put(`/v1/customers/${id}/restriction`).set(staff()).send({ reason: 'again' })).status,
    ).toBe(409);
    // Erasure stays refused while the contract is active, restricted or not.
    const erase = await request(base).delete(`/v1/customers/${id}`).set(staff());
    expect(erase.status).toBe(409);
    expect(erase.body.type).toMatch(/active-contract$/);
    expect((await request(base).put(`/v1/customers/${id}/restriction`).set(staff()).send({})).status).toBe(400);
    const during2 = await answerOf(query, () => true, 'suppression answer after the rectification');
    expect(during2.decision).toBe('suppress');
    expect((await request(base).get(`/v1/customers/${id}`).set(staff())).body).toMatchObject({
      name: 'Rauha Oikaistu',
      restricted: true,
    });

    const lifted = await request(base)
      .delete(`/v1/customers/${id}/restriction`)
      .set(staff())
      .send({ reason: 'resolved' });
    expect(lifted.status).toBe(200);
    expect(lifted.body.restricted).toBe(false);
    expect(lifted.body.restrictionHistory.map((r: { action: string }) => r.action)).toEqual(['restricted', 'lifted']);
    const after = await answerOf(query, (b) => b.decision === 'allow', 'allow after lifting');
    expect(after.reasons).toEqual(before.reasons);
    expect((await request(base).delete(`/v1/customers/${id}/restriction`).set(staff())).status).toBe(409);
  });

  it('erases a restricted customer without an active contract (R7: erasure resolves a restriction)', async () => {
    const address = email('rajoitettu.poisto');
    const { id } = (await create({ kind: 'person', name: 'Raili Rajoitettu', emails: [address] })).body;
    await request(base)
      .put(`/v1/customers/${id}/restriction`)
      .set(staff())
      .send({ reason: 'erasure requested' })
      .expect(200);
    const erased = await request(base).delete(`/v1/customers/${id}`).set(staff());
    expect(erased.status).toBe(202);
    expect(erased.body).toMatchObject({ id, status: 'erased' });
    expect((await request(base).get(`/v1/customers/${id}`).set(staff())).status).toBe(404);
    expect((await eventsOf(id)).map((e) => e.type)).toEqual([
      'fi.kielto.customer.created.v1',
      'fi.kielto.customer.restricted.v1',
      'fi.kielto.customer.erased.v1',
    ]);
    const answer = await answerOf(
      { channel: 'email', purpose: 'own-marketing', email: address },
      (b) => b.reasons.some((r) => r.code === 'erased'),
      'erased answer',
    );
    expect(answer.decision).toBe('suppress');
  });

  it('erasure: 409 with an active contract, 202 after clearing it, then 404 and suppression answers erased for the old e-mail', async () => {
    const address = email('poisto');
    const created = await create({
      kind: 'person',
      name: 'Eero Poisto',
      personalIdentityCode: code(3),
      emails: [address],
      phones: ['+358 50 765 4321'],
      activeContract: true,
    });
    const { id } = created.body;
    await answerOf(
      { channel: 'email', purpose: 'own-marketing', email: address },
      (b) => b.decision === 'allow',
      'customer known',
    );

    const refused = await request(base).delete(`/v1/customers/${id}`).set(staff());
    expect(refused.status).toBe(409);
    expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(refused.body.type).toMatch(/active-contract$/);

    expect((await request(base).patch(`/v1/customers/${id}`).set(staff()).send({ activeContract: false })).status).toBe(
      200,
    );
    const erased = await request(base).delete(`/v1/customers/${id}`).set(staff());
    expect(erased.status).toBe(202);
    expect(erased.body).toMatchObject({ id, status: 'erased' });

    expect((await request(base).get(`/v1/customers/${id}`).set(staff())).status).toBe(404);
    expect((await request(base).patch(`/v1/customers/${id}`).set(staff()).send({ name: 'x' })).status).toBe(404);
    expect((await request(base).delete(`/v1/customers/${id}`).set(staff())).status).toBe(404);
    expect((await request(base).get(`/v1/customers/${id}/export`).set(dpo())).status).toBe(404);
    expect((await request(base).get('/v1/customers').set(staff()).query({ email: address })).body).toEqual([]);

    for (const query of <Record<string, string>[]>[
      { channel: 'email', purpose: 'own-marketing', email: address },
      { channel: 'sms', purpose: 'own-marketing', phone: '0507654321' },
    ]) {
      const answer = await answerOf(
        query,
        (b) => b.reasons.some((r) => r.code === 'erased'),
        `erased answer for ${query.channel}`,
      );
      expect(answer.decision).toBe('suppress');
    }

    // Nothing personal is left in the customers database: not the e-mail, the phone, the name or the code.
    await eventually(
      async () => {
        const dump = await dumpDatabase(`${stack.prefix}-customers`);
        return (
          !dump.includes(address) &&
          !dump.includes('+358507654321') &&
          !dump.includes('Eero Poisto') &&
          !dump.includes(code(3))
        );
      },
      10000,
      'personal data gone from the customers database',
    );
  });

  it('keeps the products a customer holds (R10), persons and organisations alike, and rejects unknown ones naming the field', async () => {
    const address = email('tuotteet');
    const person = await create({
      kind: 'person',
      name: 'Tuula Tuote',
      emails: [address],
      activeContract: true,
      products: ['mobile-subscription', 'tv'],
    });
    expect(person.status).toBe(201);
    expect(person.body.products).toEqual(['mobile-subscription', 'tv']);
    const { id } = person.body;
    expect((await request(base).get(`/v1/customers/${id}`).set(staff())).body.products).toEqual([
      'mobile-subscription',
      'tv',
    ]);
    expect((await latestEventOf(id)).data.products).toEqual(['mobile-subscription', 'tv']);

    const organisation = await create({ kind: 'organization', name: 'Tuote Oy', products: ['fixed-broadband'] });
    expect(organisation.status).toBe(201);
    expect(organisation.body.products).toEqual(['fixed-broadband']);
    const none = await create({ kind: 'person', name: 'Ei Tuotteita' });
    expect(none.body.products).toEqual([]);
    expect((await latestEventOf(none.body.id)).data.products).toEqual([]);

    const replaced = await patch(id, { products: ['fixed-phone'] });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ products: ['fixed-phone'], version: 2 });
    expect(replaced.body.rectifications.at(-1).fields).toEqual(['products']);
    expect((await latestEventOf(id)).data).toMatchObject({ products: ['fixed-phone'] });

    const rejectedEmail = email('tuotteet.virhe');
    // The long repeated list is checked in linear time (a quadratic uniqueness check would stall the service).
    for (const products of [['mobile-subscription', 'phone'], ['tv', 'tv'], 'tv', [7], Array(50_000).fill('tv')]) {
      const bad = await create({ kind: 'person', name: 'Virhe', emails: [rejectedEmail], products });
      expect({ products: String(products).slice(0, 40), status: bad.status }).toMatchObject({ status: 400 });
      expect(bad.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(bad.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'products' })]));
    }
    const badCreate = await create({ kind: 'person', name: 'Virhe', products: ['tv', 'phone'] });
    expect(badCreate.body.errors).toEqual([{ field: 'products', message: expect.stringContaining('products[1]') }]);
    expect((await request(base).get('/v1/customers').set(staff()).query({ email: rejectedEmail })).body).toEqual([]);
    const badPatch = await patch(id, { products: ['fixed-phone', 'satellite'] });
    expect(badPatch.status).toBe(400);
    expect(badPatch.body.errors).toEqual([expect.objectContaining({ field: 'products' })]);
    expect((await patch(id, { products: null })).status).toBe(400);
    expect((await request(base).get(`/v1/customers/${id}`).set(staff())).body).toMatchObject({
      products: ['fixed-phone'],
      version: 2,
    });
  });

  it('sets relationshipEndedAt when the contract ends and clears it when a new one starts; a prospect has none (R2)', async () => {
    const created = await create({
      kind: 'person',
      name: 'Suhde Sopimus',
      emails: [email('suhde')],
      activeContract: true,
    });
    expect(created.status).toBe(201);
    expect(created.body).not.toHaveProperty('relationshipEndedAt');
    const { id } = created.body;

    const before = Date.now();
    const ended = await patch(id, { activeContract: false });
    expect(ended.status).toBe(200);
    const endedAt = Date.parse(ended.body.relationshipEndedAt);
    expect(endedAt).toBeGreaterThanOrEqual(before - 1);
    expect(endedAt).toBeLessThanOrEqual(Date.now());
    expect(ended.body.relationshipEndedAt).toBe(ended.body.updatedAt);
    expect((await request(base).get(`/v1/customers/${id}`).set(staff())).body.relationshipEndedAt).toBe(
      ended.body.relationshipEndedAt,
    );
    expect((await latestEventOf(id)).data).toMatchObject({
      activeContract: false,
      relationshipEndedAt: ended.body.relationshipEndedAt,
    });

    // Other rectifications of a former customer keep the end date.
    const renamed = await patch(id, { name: 'Suhde Entinen' });
    expect(renamed.body.relationshipEndedAt).toBe(ended.body.relationshipEndedAt);

    const renewed = await patch(id, { activeContract: true });
    expect(renewed.status).toBe(200);
    expect(renewed.body).not.toHaveProperty('relationshipEndedAt');
    const renewedEvent = await latestEventOf(id);
    expect(renewedEvent.data.activeContract).toBe(true);
    expect(renewedEvent.data).not.toHaveProperty('relationshipEndedAt');

    const prospect = await create({ kind: 'person', name: 'Mahdollinen Asiakas', activeContract: false });
    expect(prospect.status).toBe(201);
    expect(prospect.body.activeContract).toBe(false);
    expect(prospect.body).not.toHaveProperty('relationshipEndedAt');
    expect((await latestEventOf(prospect.body.id)).data).not.toHaveProperty('relationshipEndedAt');
  });

  it('gives contact persons ids kept across rectifications (same e-mail, else phone, else name) and puts them on their contact points (R3)', async () => {
    const created = await create({
      kind: 'organization',
      name: 'Yhteys Oy',
      emails: [email('yhteys.info')],
      contactPersons: [
        { name: 'Maija Myynti', email: email('maija'), phone: '040 200 0001' },
        { name: 'Pekka Puhelin', phone: '040 200 0002' },
        { name: 'Liisa Nimi', title: 'CEO' },
        { name: 'Olli Lähtijä', email: email('olli') },
      ],
    });
    expect(created.status).toBe(201);
    const persons = created.body.contactPersons as { id: string; name: string }[];
    for (const p of persons) expect(p.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(persons.map((p) => p.id)).size).toBe(4);
    const [maija, pekka, liisa, olli] = persons.map((p) => p.id);
    const { id } = created.body;
    expect((await request(base).get(`/v1/customers/${id}`).set(staff())).body.contactPersons).toEqual(
      created.body.contactPersons,
    );

    const first = await latestEventOf(id);
    expect(first.data.contactPoints).toEqual([
      { kind: 'email', hash: hashOf(email('yhteys.info')), owner: 'own', from: created.body.createdAt },
      {
        kind: 'email',
        hash: hashOf(email('maija')),
        owner: 'contact-person',
        person: maija,
        from: created.body.createdAt,
      },
      {
        kind: 'phone',
        hash: hashOf('+358402000001'),
        owner: 'contact-person',
        person: maija,
        from: created.body.createdAt,
      },
      {
        kind: 'phone',
        hash: hashOf('+358402000002'),
        owner: 'contact-person',
        person: pekka,
        from: created.body.createdAt,
      },
      {
        kind: 'email',
        hash: hashOf(email('olli')),
        owner: 'contact-person',
        person: olli,
        from: created.body.createdAt,
      },
    ]);

    const patched = await patch(id, {
      contactPersons: [
        { name: 'Uusi Henkilö', email: email('uusi') },
        { name: 'Pekka Puhelin', email: email('pekka'), phone: '+358 40 200 0002' },
        { name: 'liisa nimi' },
        { name: 'Maija Virtanen', email: email('maija'), phone: '040 200 0009' },
      ],
    });
    expect(patched.status).toBe(200);
    const next = patched.body.contactPersons as { id: string; name: string }[];
    expect(next.map((p) => p.id.length)).toEqual([36, 36, 36, 36]);
    expect(next.slice(1).map((p) => p.id)).toEqual([pekka, liisa, maija]);
    expect([maija, pekka, liisa, olli]).not.toContain(next[0].id);
    expect((await request(base).get(`/v1/customers/${id}`).set(staff())).body.contactPersons).toEqual(next);

    const { data } = await latestEventOf(id);
    const byPerson = (person: string) => data.contactPoints.filter((p) => p.person === person).map((p) => p.kind);
    expect(byPerson(next[0].id)).toEqual(['email']);
    expect(byPerson(pekka)).toEqual(['email', 'phone']);
    expect(byPerson(maija)).toEqual(['email', 'phone']);
    expect(byPerson(olli)).toEqual([]);
    for (const point of data.contactPoints)
      expect(point.owner === 'contact-person').toBe(typeof point.person === 'string');
    const exported = await request(base).get(`/v1/customers/${id}/export`).set(dpo());
    expect(exported.status).toBe(200);
    expect(exported.body.customer.contactPersons).toEqual(next);
  });

  it('carries since when each identifier is held, and keeps rectified and removed ones as keyed hashes with their holding period, also through erasure (§3, R8)', async () => {
    const oldEmail = email('pitaja.vanha');
    const created = await create({
      kind: 'organization',
      name: 'Pitäjä Oy',
      emails: [oldEmail],
      phones: ['040 300 0001'],
      contactPersons: [{ name: 'Kalle Kontakti', email: email('kalle'), phone: '040 300 0002' }],
    });
    expect(created.status).toBe(201);
    const { id, createdAt } = created.body;
    const kalle = created.body.contactPersons[0].id as string;
    for (const point of (await latestEventOf(id)).data.contactPoints) expect(point.from).toBe(createdAt);

    // Rectify the e-mail, keep the phone; Kalle's phone changes (matched by e-mail, so he keeps his id).
    const newEmail = email('pitaja.uusi');
    const rectified = await patch(id, {
      emails: [newEmail],
      contactPersons: [{ name: 'Kalle Kontakti', email: email('kalle'), phone: '040 300 0003' }],
    });
    expect(rectified.status).toBe(200);
    const rectifiedAt = rectified.body.updatedAt as string;
    expect(rectified.body.contactPersons[0].id).toBe(kalle);
    const second = await latestEventOf(id);
    expect(second.data.contactPoints).toEqual([
      { kind: 'email', hash: hashOf(newEmail), owner: 'own', from: rectifiedAt },
      { kind: 'phone', hash: hashOf('+358403000001'), owner: 'own', from: createdAt },
      { kind: 'email', hash: hashOf(email('kalle')), owner: 'contact-person', person: kalle, from: createdAt },
      { kind: 'phone', hash: hashOf('+358403000003'), owner: 'contact-person', person: kalle, from: rectifiedAt },
    ]);
    const formerAfterRectification = [
      { kind: 'email', hash: hashOf(oldEmail), owner: 'own', from: createdAt, until: rectifiedAt },
      {
        kind: 'phone',
        hash: hashOf('+358403000002'),
        owner: 'contact-person',
        person: kalle,
        from: createdAt,
        until: rectifiedAt,
      },
    ];
    expect(second.data.formerContactPoints).toEqual(formerAfterRectification);

    // A change of something else keeps every holding as it is.
    await patch(id, { name: 'Pitäjä Oyj' }).expect(200);
    const third = await latestEventOf(id);
    expect(third.data.contactPoints).toEqual(second.data.contactPoints);
    expect(third.data.formerContactPoints).toEqual(formerAfterRectification);

    // The old e-mail comes back: a new holding period, the earlier one stays former. Kalle leaves.
    const back = await patch(id, { emails: [newEmail, oldEmail], contactPersons: [] });
    const backAt = back.body.updatedAt as string;
    const fourth = await latestEventOf(id);
    expect(fourth.data.contactPoints).toEqual([
      { kind: 'email', hash: hashOf(newEmail), owner: 'own', from: rectifiedAt },
      { kind: 'email', hash: hashOf(oldEmail), owner: 'own', from: backAt },
      { kind: 'phone', hash: hashOf('+358403000001'), owner: 'own', from: createdAt },
    ]);
    const formerAfterRemoval = [
      ...formerAfterRectification,
      {
        kind: 'email',
        hash: hashOf(email('kalle')),
        owner: 'contact-person',
        person: kalle,
        from: createdAt,
        until: backAt,
      },
      {
        kind: 'phone',
        hash: hashOf('+358403000003'),
        owner: 'contact-person',
        person: kalle,
        from: rectifiedAt,
        until: backAt,
      },
    ];
    expect(fourth.data.formerContactPoints).toEqual(formerAfterRemoval);

    // The export shows the holdings too; erasure publishes the former identifiers as hashes.
    const exported = await request(base).get(`/v1/customers/${id}/export`).set(dpo());
    expect(exported.status).toBe(200);
    expect(exported.body.customer.formerContactPoints).toEqual(formerAfterRemoval);
    expect(exported.body.customer.contactPoints).toEqual(fourth.data.contactPoints);

    await request(base).delete(`/v1/customers/${id}`).set(staff()).expect(202);
    const erased = await latestEventOf(id);
    expect(erased.type).toBe('fi.kielto.customer.erased.v1');
    expect(erased.data.contactPoints).toEqual(fourth.data.contactPoints);
    expect(erased.data.formerContactPoints).toEqual(formerAfterRemoval);
    await eventually(
      async () => {
        const dump = await dumpDatabase(`${stack.prefix}-customers`);
        return !dump.includes(oldEmail) && !dump.includes(email('kalle'));
      },
      10000,
      'former identifiers in clear gone from the customers database',
    );
  });

  it('exports everything held about the person from all four services as one JSON document', async () => {
    const address = email('vienti');
    const created = await create({
      kind: 'person',
      name: 'Veera Vienti',
      personalIdentityCode: code(4),
      emails: [address],
      phones: ['0401112223'],
      activeContract: true,
      products: ['mobile-subscription'],
    });
    const { id, customerNumber } = created.body;
    const ended = await patch(id, { language: 'en', activeContract: false }).expect(200);
    await request(stack.urls.consents)
      .post('/v1/consents')
      .set(staff())
      .send({
        customerId: id,
        channel: 'email',
        purpose: 'own-marketing',
        decision: 'grant',
        source: 'web-form',
        evidence: { noticeVersion: 'v7' },
      })
      .expect(201);
    await request(stack.urls.consents)
      .post('/v1/consents')
      .set(staff())
      .send({
        email: address.toUpperCase(),
        channel: 'sms',
        purpose: 'partner-marketing',
        decision: 'prohibit',
        source: 'phone-call',
      })
      .expect(201);
    const haveBans = stack.apps['directory-bans'] !== undefined;
    if (haveBans) {
      await request(stack.urls['directory-bans'])
        .put(`/v1/directory-bans/${id}`)
        .set(staff())
        .send({ scope: 'full', reason: 'customer request' })
        .expect((res) => expect([200, 201]).toContain(res.status));
    }

    const res = await request(base).get(`/v1/customers/${id}/export`).set(dpo());
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    const body = res.body;
    expect(Date.parse(body.generatedAt)).toBeGreaterThan(Date.now() - 60_000);
    expect(body.customer).toMatchObject({
      id,
      customerNumber,
      emails: [address],
      phones: ['+358401112223'],
      personalIdentityCode: code(4),
      products: ['mobile-subscription'],
      activeContract: false,
      relationshipEndedAt: ended.body.relationshipEndedAt,
    });
    // The state of every (channel, purpose) pair, as the consents service derives it for the customer.
    expect(body.consents.current).toHaveLength(16);
    const row = (channel: string, purpose: string) =>
      (body.consents.current as { channel: string; purpose: string }[]).filter(
        (r) => r.channel === channel && r.purpose === purpose,
      );
    for (const channel of ['email', 'sms', 'phone', 'post'])
      for (const purpose of ['own-marketing', 'partner-marketing', 'profiling', 'market-research'])
        expect(row(channel, purpose)).toHaveLength(1);
    expect(row('email', 'own-marketing')[0]).toMatchObject({ consent: 'granted', prohibited: false });
    expect(row('sms', 'partner-marketing')[0]).toMatchObject({ prohibited: true });
    expect(row('post', 'market-research')[0]).toMatchObject({ consent: 'none', prohibited: false });
    expect(body.consents.history).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          decision: 'grant',
          channel: 'email',
          evidence: expect.objectContaining({ noticeVersion: 'v7' }),
        }),
        expect.objectContaining({ decision: 'prohibit', channel: 'sms' }),
      ]),
    );
    if (haveBans) expect(body.directoryBan).toMatchObject({ scope: 'full' });
    expect(body).toHaveProperty('suppression');
    expect(body.history.events.map((e: { type: string }) => e.type)).toEqual([
      'fi.kielto.customer.created.v1',
      'fi.kielto.customer.updated.v1',
    ]);
    expect(body.history.rectifications).toEqual([expect.objectContaining({ fields: ['language', 'activeContract'] })]);
  });

  it('answers 503 rather than a partial export when another service does not answer', async () => {
    const { id } = (await create({ kind: 'person', name: 'Osa Vienti', emails: [email('partial')] })).body;
    // A second customers instance on the same database whose consents URL points nowhere.
    const saved = process.env.CONSENTS_URL;
    process.env.CONSENTS_URL = 'http://127.0.0.1:9';
    let other: Awaited<ReturnType<typeof import('../src/service').start>> | undefined;
    try {
      const { start } = isolatedImport<typeof import('../src/service')>('../src/service');
      other = await start(0);
      const res = await request(other.url).get(`/v1/customers/${id}/export`).set(dpo());
      expect(res.status).toBe(503);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.headers['retry-after']).toBeDefined();
      expect(res.body.detail).toMatch(/consents/);
    } finally {
      process.env.CONSENTS_URL = saved;
      await other?.app.close();
    }
  });

  it('documents products, relationshipEndedAt and contact-person ids in its OpenAPI document', async () => {
    const res = await request(base).get('/docs/openapi.json');
    expect(res.status).toBe(200);
    type Schema = { properties: Record<string, { enum?: string[]; items?: { enum?: string[] } }>; required?: string[] };
    const schemas = res.body.components.schemas as Record<string, Schema>;
    const products = ['mobile-subscription', 'mobile-broadband', 'fixed-broadband', 'fixed-phone', 'tv', 'other'];
    for (const dto of ['CreateCustomerDto', 'UpdateCustomerDto'])
      expect(schemas[dto].properties.products.items?.enum).toEqual(products);
    expect(schemas.CustomerResponseDto.properties).toHaveProperty('relationshipEndedAt');
    expect(schemas.CustomerResponseDto.required).toEqual(expect.arrayContaining(['products', 'contactPersons']));
    expect(schemas.ContactPersonResponseDto.required).toContain('id');
    const get = res.body.paths['/v1/customers/{id}'].get;
    expect(get.responses['200'].content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/CustomerResponseDto',
    });
  });

  it('never puts an identity code in clear on Kafka, in the database or in any log line of the run', async () => {
    expect(usedCodes.size).toBeGreaterThanOrEqual(5);
    const messages = await readTopic(`${stack.prefix}.kielto.customers.v1`);
    expect(messages.length).toBeGreaterThanOrEqual(10);
    const kafkaText = messages.join('\n');
    const dump = await dumpDatabase(`${stack.prefix}-customers`);
    // The database does hold sealed codes (the scan would prove nothing otherwise).
    expect(dump).toContain('A256GCM');
    const logText = captured.join('');
    expect(logText).toMatch(/request completed/);
    for (const c of usedCodes) {
      for (const form of [c, c.toLowerCase(), c.replace(/[-+A-FU-Y]/, '')]) {
        expect(kafkaText).not.toContain(form);
        expect(dump).not.toContain(form);
        expect(logText).not.toContain(form);
      }
    }
    // E-mail addresses never travel in clear either (only keyed hashes).
    expect(kafkaText).not.toMatch(/@example\.fi/);
  });
});

interface ContactPointEvent {
  kind: 'email' | 'phone';
  hash: string;
  owner: 'own' | 'contact-person';
  person?: string;
  from?: string;
  until?: string;
}

interface CustomerEvent {
  id: string;
  type: string;
  subject: string;
  sequence: number;
  data: {
    products?: string[];
    relationshipEndedAt?: string;
    activeContract?: boolean;
    restrictedSince?: string;
    contactPoints: ContactPointEvent[];
    formerContactPoints?: ContactPointEvent[];
  };
}

/** The keyed hash events carry for a normalised identifier (HMAC-SHA256 with the test partner key). */
const hashOf = (normalised: string) =>
  createHmac('sha256', Buffer.from(PARTNER_HASH_KEY, 'utf8')).update(normalised, 'utf8').digest('hex');

function randomUUIDLike(): string {
  const hex = randomBytes(16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Imports a module in a fresh module registry, so its env is read again. */
function isolatedImport<T>(path: string): T {
  let loaded: T | undefined;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require(path) as T;
  });
  return loaded!;
}

/** Removes the databases and topics of this test file's stack. */
async function dropTestData(prefix: string): Promise<void> {
  const client = await MongoClient.connect(MONGODB_URI);
  try {
    const { databases } = await client.db().admin().listDatabases();
    for (const { name } of databases) if (name.startsWith(`${prefix}-`)) await client.db(name).dropDatabase();
  } finally {
    await client.close();
  }
  const admin = new Kafka({
    clientId: 'customers-e2e-cleanup',
    brokers: KAFKA_BROKERS.split(','),
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${prefix}.`));
    if (topics.length > 0) await admin.deleteTopics({ topics });
  } finally {
    await admin.disconnect();
  }
}

/** Every document of every collection of a database, as one JSON text. */
async function dumpDatabase(name: string): Promise<string> {
  const client = await MongoClient.connect(MONGODB_URI);
  try {
    const db = client.db(name);
    const parts: string[] = [];
    for (const { name: collection } of await db.listCollections().toArray()) {
      parts.push(JSON.stringify(await db.collection(collection).find().toArray()));
    }
    return parts.join('\n');
  } finally {
    await client.close();
  }
}
