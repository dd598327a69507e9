import { randomBytes, randomUUID } from 'node:crypto';
import request from 'supertest';
import { bearer, startStack, Stack } from './support/stack';

/*
 * Issue 16 part 4: an objection (a prohibition) or a withdrawal recorded in the consents service may name its desk
 * entry on customers (`X-Kielto-Dsr`): consents asks the desk before writing and adds the decision to its trail after.
 */
jest.setTimeout(240_000);

const run = randomBytes(3).toString('hex');
const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();

describe('consents: objections and withdrawals on the request desk (X-Kielto-Dsr)', () => {
  let stack: Stack;

  beforeAll(async () => {
    // Customers first: consents reads CUSTOMERS_URL, which the stack sets as customers starts.
    stack = await startStack(['customers', 'consents'], { KIELTO_RETENTION_INTERVAL_MS: '0' });
  });
  afterAll(() => stack?.close());

  const customers = () => request(stack.urls.customers);
  const consents = () => request(stack.urls.consents);
  const createCustomer = async (name: string) => {
    const res = await customers()
      .post('/v1/customers')
      .set(bearer('staff'))
      .send({ kind: 'person', name, emails: [`${name.split(' ')[0].toLowerCase()}.${run}@example.fi`] });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };
  const receive = async (subject: object, type = 'objection') => {
    const res = await customers()
      .post('/v1/requests')
      .set(bearer('staff'))
      .send({ ...subject, type, receivedAt: daysAgo(0), channel: 'email' });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };
  const decide = (subject: object, decision: string, dsr?: string) => {
    const call = consents()
      .post('/v1/consents')
      .set(bearer('staff'))
      .send({ ...subject, channel: 'email', purpose: 'own-marketing', decision, source: 'customer-service' });
    return dsr === undefined ? call : call.set('X-Kielto-Dsr', dsr);
  };
  const history = async (subject: Record<string, string>) => {
    const res = await consents().get('/v1/consents').query(subject).set(bearer('staff'));
    expect(res.status).toBe(200);
    return res.body.history as unknown[];
  };
  const trail = async (dsr: string) => {
    const res = await customers().get(`/v1/requests/${dsr}`).set(bearer('staff'));
    expect(res.status).toBe(200);
    return res.body.trail as { action: string; customerId?: string; subject?: string; requestId: string }[];
  };
  const fields = (res: request.Response) => (res.body.errors as { field: string }[]).map((e) => e.field);

  it('adds a prohibition and a withdrawal to the trail of the request they were recorded for', async () => {
    const customerId = await createCustomer('Olga Objector');
    const dsr = await receive({ customerId });

    const prohibited = await decide({ customerId }, 'prohibit', dsr);
    expect(prohibited.status).toBe(201);
    const withdrawn = await decide({ customerId }, 'withdraw', dsr);
    expect(withdrawn.status).toBe(201);

    const entries = await trail(dsr);
    expect(entries.map((t) => t.action)).toEqual(['objection', 'withdrawal']);
    expect(entries.every((t) => t.customerId === customerId)).toBe(true);
    // The trail names the consents calls: their audit records and ledger evidence carry the same request ids.
    expect(entries.map((t) => t.requestId)).toEqual([
      prohibited.headers['x-request-id'],
      withdrawn.headers['x-request-id'],
    ]);
    expect(prohibited.body.evidence.requestId).toBe(prohibited.headers['x-request-id']);

    // A bare identifier's request takes the objection recorded for that identifier, normalised alike.
    const email = `Bare.${run}@Example.fi`;
    const bare = await receive({ email: email.toLowerCase() });
    expect((await decide({ email }, 'prohibit', bare)).status).toBe(201);
    expect((await trail(bare)).map((t) => t.action)).toEqual(['objection']);
    expect((await trail(bare))[0].subject).toMatch(/^email:[0-9a-f]+$/);
  });

  it("refuses another subject's, an unknown, a malformed or a closed request naming X-Kielto-Dsr, and writes nothing", async () => {
    const customerId = await createCustomer('Paula Prohibitor');
    const otherId = await createCustomer('Otto Other');
    const othersRequest = await receive({ customerId: otherId });

    const wrongSubject = await decide({ customerId }, 'prohibit', othersRequest);
    expect(wrongSubject.status).toBe(422);
    expect(wrongSubject.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(fields(wrongSubject)).toEqual(['X-Kielto-Dsr']);
    const aboutAnIdentifier = await decide({ email: `someone.${run}@example.fi` }, 'prohibit', othersRequest);
    expect(aboutAnIdentifier.status).toBe(422);
    const unknown = await decide({ customerId }, 'prohibit', randomUUID());
    expect(unknown.status).toBe(422);
    expect(fields(unknown)).toEqual(['X-Kielto-Dsr']);
    const malformed = await decide({ customerId }, 'prohibit', 'not-a-uuid');
    expect(malformed.status).toBe(400);
    expect(fields(malformed)).toEqual(['X-Kielto-Dsr']);
    // A grant is no objection: naming a request with it is refused too.
    const own = await receive({ customerId });
    const grant = await decide({ customerId }, 'grant', own);
    expect(grant.status).toBe(400);
    expect(fields(grant)).toEqual(['X-Kielto-Dsr']);

    const closed = await receive({ customerId });
    const closing = await customers()
      .patch(`/v1/requests/${closed}`)
      .set(bearer('staff'))
      .send({ action: 'close', outcome: 'refused', auditIds: [] });
    expect(closing.status).toBe(200);
    const late = await decide({ customerId }, 'prohibit', closed);
    expect(late.status).toBe(409);
    expect(fields(late)).toEqual(['X-Kielto-Dsr']);

    expect(await history({ customerId })).toEqual([]);
    expect(await trail(othersRequest)).toEqual([]);
    expect(await trail(closed)).toEqual([]);
  });

  it('the trail route is for the service key only and validates its body', async () => {
    const customerId = await createCustomer('Siiri Service');
    const dsr = await receive({ customerId });
    const link = (body: object, role: 'admin' | 'staff' = 'admin') =>
      customers().post(`/v1/requests/${dsr}/trail`).set(bearer(role)).send(body);
    const valid = { customerId, action: 'objection', actor: 'staff', requestId: 'req-1' };
    expect((await link(valid, 'staff')).status).toBe(403);
    const bad = await link({ ...valid, action: 'grant', requestId: 'a b' });
    expect(bad.status).toBe(400);
    expect(fields(bad).sort()).toEqual(['action', 'requestId']);
    const checked = await customers().post(`/v1/requests/${dsr}/trail?dryRun=true`).set(bearer('admin')).send(valid);
    expect(checked.status).toBe(200);
    expect(checked.body).toEqual({ id: dsr });
    expect(await trail(dsr)).toEqual([]);
    const added = await link(valid);
    expect(added.status).toBe(200);
    expect(added.body.entry).toEqual(expect.objectContaining({ action: 'objection', customerId, requestId: 'req-1' }));
    expect((await trail(dsr)).map((t) => t.action)).toEqual(['objection']);
  });
});
