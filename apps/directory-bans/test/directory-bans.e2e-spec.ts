import { randomUUID } from 'node:crypto';
import mongoose from 'mongoose';
import request from 'supertest';
import { EventLog } from '@kielto/platform';
import { bearer, eventually, MONGODB_URI, startStack, Stack } from '../../../test/support/stack';
import { CustomerEventsPublisher, TestCustomer, testCustomer } from './support/customer-events';

// The project's testTimeout does not reach hooks here; starting the stack and following Kafka take a while.
jest.setTimeout(120_000);

interface ExportLine {
  customerId: string;
  customerNumber: string;
  name?: string;
  phone?: string;
  address?: { street: string; postalCode: string; city: string; country: string };
}

/** The export line a customer's listing gives when nothing is hidden. */
const whole = (c: TestCustomer): ExportLine => ({
  customerId: c.customerId,
  customerNumber: c.customerNumber,
  name: c.listing.name,
  phone: c.listing.phone,
  address: c.listing.address,
});

describe('directory-bans: publication bans and the publishable directory', () => {
  let stack: Stack;
  let customers: CustomerEventsPublisher;
  let base: string;

  beforeAll(async () => {
    stack = await startStack(['directory-bans', 'suppression']);
    base = stack.urls['directory-bans'];
    customers = new CustomerEventsPublisher(stack.prefix);
    await customers.connect();
  });

  afterAll(async () => {
    await customers?.disconnect();
    await stack?.close();
    if (!stack) return;
    // Clean up after ourselves: this file's databases go with it.
    const connection = await mongoose.createConnection(MONGODB_URI, { retryWrites: false }).asPromise();
    for (const service of ['directory-bans', 'suppression'])
      await connection.useDb(`${stack.prefix}-${service}`).dropDatabase();
    await connection.close();
  });

  const staff = () => bearer('staff');
  const putBan = (customerId: string, body: object) =>
    request(base).put(`/v1/directory-bans/${customerId}`).set(staff()).send(body);
  const getBan = (customerId: string) => request(base).get(`/v1/directory-bans/${customerId}`).set(staff());

  /** The whole export for an outlet, parsed, keyed by customer id. */
  async function exportFor(outlet: string): Promise<Map<string, ExportLine>> {
    const res = await fetch(`${base}/v1/directory/export?outlet=${outlet}`, { headers: staff() });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const text = await res.text();
    const lines = text.split('\n').filter((l) => l.length > 0);
    return new Map(lines.map((l) => JSON.parse(l) as ExportLine).map((l) => [l.customerId, l]));
  }

  /** Waits until the export for an outlet satisfies `ok` (the listing projection follows Kafka). */
  const exportWhen = (outlet: string, ok: (lines: Map<string, ExportLine>) => boolean, what: string) =>
    eventually(
      async () => {
        const lines = await exportFor(outlet);
        return ok(lines) && lines;
      },
      20_000,
      what,
    );

  /** Waits until the listing consumer has processed everything published so far. */
  async function listingsCaughtUp(): Promise<void> {
    const publishedBefore = Date.now();
    const progress = stack.apps['directory-bans']!.events!.progress;
    await eventually(
      () => Promise.resolve(progress.asOf > publishedBefore),
      20_000,
      'the listing consumer to catch up',
    );
  }

  describe('the export with bans applied', () => {
    const full = testCustomer(1);
    const partial = testCustomer(2);
    const unbanned = testCustomer(3);

    beforeAll(async () => {
      for (const c of [full, partial, unbanned]) await customers.created(c);
      await exportWhen(
        'online',
        (l) => [full, partial, unbanned].every((c) => l.has(c.customerId)),
        'the three listings',
      );
    });

    it('leaves out the fully banned customer, the hidden address of the partial one, and keeps the unbanned one whole', async () => {
      const fullBan = await putBan(full.customerId, { scope: 'full', reason: 'customer request by phone' });
      expect(fullBan.status).toBe(200);
      expect(fullBan.body).toMatchObject({ customerId: full.customerId, scope: 'full', hiddenFields: [], outlets: [] });
      const partialBan = await putBan(partial.customerId, { scope: 'partial', hiddenFields: ['address'] });
      expect(partialBan.status).toBe(200);

      for (const outlet of ['online', 'printed', 'inquiry-service', 'reverse-search']) {
        const lines = await exportFor(outlet);
        expect(lines.has(full.customerId)).toBe(false);
        expect(lines.get(partial.customerId)).toEqual({
          customerId: partial.customerId,
          customerNumber: partial.customerNumber,
          name: partial.listing.name,
          phone: partial.listing.phone,
        });
        expect(lines.get(unbanned.customerId)).toEqual(whole(unbanned));
      }
    });

    it('brings the listing back when the ban is lifted, and keeps the lift in the history', async () => {
      const lifted = await request(base).delete(`/v1/directory-bans/${full.customerId}`).set(staff());
      expect(lifted.status).toBe(204);

      expect((await exportFor('online')).get(full.customerId)).toEqual(whole(full));
      const none = await getBan(full.customerId);
      expect(none.status).toBe(404);
      expect(none.headers['content-type']).toMatch(/application\/problem\+json/);
      expect((await request(base).delete(`/v1/directory-bans/${full.customerId}`).set(staff())).status).toBe(404);

      const history = await request(base).get(`/v1/directory-bans/${full.customerId}/history`).set(staff());
      expect(history.status).toBe(200);
      expect(history.body.current).toBeNull();
      expect(history.body.history).toEqual([
        expect.objectContaining({
          sequence: 1,
          change: 'set',
          scope: 'full',
          reason: 'customer request by phone',
          by: expect.stringMatching(/^staff-/),
        }),
        expect.objectContaining({ sequence: 2, change: 'lifted', by: expect.stringMatching(/^staff-/) }),
      ]);
    });

    it('honours bans that name outlets only for those outlets', async () => {
      await putBan(unbanned.customerId, { scope: 'full', outlets: ['printed'] }).expect(200);
      await putBan(partial.customerId, {
        scope: 'partial',
        hiddenFields: ['phone', 'address'],
        outlets: ['reverse-search'],
      }).expect(200);

      const printed = await exportFor('printed');
      expect(printed.has(unbanned.customerId)).toBe(false);
      expect(printed.get(partial.customerId)).toEqual(whole(partial));

      const reverse = await exportFor('reverse-search');
      expect(reverse.get(unbanned.customerId)).toEqual(whole(unbanned));
      expect(reverse.get(partial.customerId)).toEqual({
        customerId: partial.customerId,
        customerNumber: partial.customerNumber,
        name: partial.listing.name,
      });
    });
  });

  describe('managing bans', () => {
    it('shows who set a ban, why, and its history; replacing it with the same ban records nothing', async () => {
      const customerId = randomUUID();
      const first = await putBan(customerId, {
        scope: 'partial',
        hiddenFields: ['phone', 'address', 'phone'],
        reason: ' moved ',
      });
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({
        customerId,
        scope: 'partial',
        hiddenFields: ['address', 'phone'],
        outlets: [],
        reason: 'moved',
        setBy: expect.stringMatching(/^staff-[0-9a-f]{8}$/),
        sequence: 1,
      });
      expect(Date.parse(first.body.since)).toBeGreaterThan(Date.now() - 60_000);

      await putBan(customerId, { scope: 'partial', hiddenFields: ['address', 'phone'], reason: 'moved' }).expect(200);
      const same = await getBan(customerId);
      expect(same.status).toBe(200);
      expect(same.body.history).toHaveLength(1);

      await request(base)
        .put(`/v1/directory-bans/${customerId}`)
        .set(bearer('admin'))
        .send({ scope: 'full', outlets: ['online'] })
        .expect(200);
      const replaced = await getBan(customerId.toUpperCase());
      expect(replaced.status).toBe(200);
      expect(replaced.body).toMatchObject({
        scope: 'full',
        hiddenFields: [],
        outlets: ['online'],
        sequence: 2,
        setBy: expect.stringMatching(/^admin-/),
      });
      expect(replaced.body).not.toHaveProperty('reason');
      expect(replaced.body.history.map((h: { change: string; scope: string }) => [h.change, h.scope])).toEqual([
        ['set', 'partial'],
        ['set', 'full'],
      ]);
    });

    it('lists the bans in force page by page', async () => {
      const ids = [randomUUID(), randomUUID(), randomUUID()];
      for (const id of ids) await putBan(id, { scope: 'full' }).expect(200);
      await request(base)
        .delete(`/v1/directory-bans/${ids[1]}`)
        .set(staff())
        .send({ reason: 'asked to be listed again' })
        .expect(204);

      const seen: string[] = [];
      let after: string | null = null;
      do {
        const page: request.Response = await request(base)
          .get('/v1/directory-bans')
          .query({ limit: 2, ...(after ? { after } : {}) })
          .set(staff());
        expect(page.status).toBe(200);
        expect(page.body.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.body.items.map((b: { customerId: string }) => b.customerId));
        after = page.body.next;
      } while (after);
      expect(seen).toEqual([...seen].sort());
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen).toEqual(expect.arrayContaining([ids[0], ids[2]]));
      expect(seen).not.toContain(ids[1]);
    });

    it('rejects an unknown scope, field or outlet with a 400 naming the field, and writes nothing', async () => {
      const customerId = randomUUID();
      const cases: [object, string][] = [
        [{ scope: 'everything' }, 'scope'],
        [{}, 'scope'],
        [{ scope: 'partial', hiddenFields: ['email'] }, 'hiddenFields'],
        [{ scope: 'partial', hiddenFields: 'address' }, 'hiddenFields'],
        [{ scope: 'partial' }, 'hiddenFields'],
        [{ scope: 'partial', hiddenFields: [] }, 'hiddenFields'],
        [{ scope: 'full', hiddenFields: ['name'] }, 'hiddenFields'],
        [{ scope: 'full', outlets: ['television'] }, 'outlets'],
        [{ scope: 'full', reason: 'x'.repeat(501) }, 'reason'],
        [{ scope: 'full', setBy: 'someone-else' }, 'setBy'],
      ];
      for (const [body, field] of cases) {
        const res = await putBan(customerId, body);
        expect({ body, status: res.status }).toEqual({ body, status: 400 });
        expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
        expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
      }
      expect((await getBan(customerId)).status).toBe(404);
      expect((await request(base).get(`/v1/directory-bans/${customerId}/history`).set(staff())).status).toBe(404);

      const badId = await putBan('not-a-customer-id', { scope: 'full' });
      expect(badId.status).toBe(400);
      expect(badId.body.errors).toEqual([expect.objectContaining({ field: 'customerId' })]);

      for (const query of [{}, { outlet: 'television' }]) {
        const res = await request(base).get('/v1/directory/export').query(query).set(staff());
        expect(res.status).toBe(400);
        expect(res.body.errors).toEqual([expect.objectContaining({ field: 'outlet' })]);
      }
      const badLimit = await request(base).get('/v1/directory-bans').query({ limit: 0 }).set(staff());
      expect(badLimit.status).toBe(400);
      expect(badLimit.body.errors).toEqual([expect.objectContaining({ field: 'limit' })]);
    });

    it('lets only staff and admin keys in', async () => {
      const customerId = randomUUID();
      expect((await request(base).put(`/v1/directory-bans/${customerId}`).send({ scope: 'full' })).status).toBe(401);
      expect((await request(base).get('/v1/directory/export?outlet=online')).status).toBe(401);
      for (const role of ['marketing', 'partner'] as const) {
        expect(
          (await request(base).put(`/v1/directory-bans/${customerId}`).set(bearer(role)).send({ scope: 'full' }))
            .status,
        ).toBe(403);
        expect((await request(base).get('/v1/directory/export?outlet=online').set(bearer(role))).status).toBe(403);
        expect((await request(base).get('/v1/directory-bans').set(bearer(role))).status).toBe(403);
      }
      expect((await getBan(customerId)).status).toBe(404);
    });
  });

  describe('operations', () => {
    it('is ready and documents its routes', async () => {
      const ready = await request(base).get('/health/ready');
      expect(ready.status).toBe(200);
      const docs = await request(base).get('/docs/openapi.json');
      expect(docs.status).toBe(200);
      expect(Object.keys(docs.body.paths)).toEqual(
        expect.arrayContaining([
          '/v1/directory-bans',
          '/v1/directory-bans/{customerId}',
          '/v1/directory-bans/{customerId}/history',
          '/v1/directory/export',
        ]),
      );
    });
  });

  describe('the listing projection', () => {
    it('drops restricted and erased customers, and ignores events older than what it holds', async () => {
      const restricted = testCustomer(10);
      const erased = testCustomer(11);
      const renamed = testCustomer(12);
      for (const c of [restricted, erased, renamed]) await customers.created(c);
      await exportWhen(
        'online',
        (l) => [restricted, erased, renamed].every((c) => l.has(c.customerId)),
        'the listings',
      );

      await customers.restricted(restricted, 2);
      await customers.erased(erased, 2);
      const newName = { ...renamed, listing: { name: 'Uusi Nimi', phone: renamed.listing.phone } };
      await customers.publish(renamed.customerId, 'fi.kielto.customer.updated.v1', 3, customers.state(newName));
      const after = await exportWhen(
        'online',
        (l) =>
          !l.has(restricted.customerId) && !l.has(erased.customerId) && l.get(renamed.customerId)?.name === 'Uusi Nimi',
        'restricted and erased customers to drop out',
      );
      // The new state replaced the old one: the address it no longer has is gone.
      expect(after.get(renamed.customerId)).toEqual({
        customerId: renamed.customerId,
        customerNumber: renamed.customerNumber,
        name: 'Uusi Nimi',
        phone: renamed.listing.phone,
      });

      // Redelivered older events change nothing: erased stays erased, the rename stays.
      await customers.created(erased, 1);
      await customers.publish(renamed.customerId, 'fi.kielto.customer.updated.v1', 2, customers.state(renamed));
      await listingsCaughtUp();
      const stale = await exportFor('online');
      expect(stale.has(erased.customerId)).toBe(false);
      expect(stale.get(renamed.customerId)?.name).toBe('Uusi Nimi');

      await customers.restrictionLifted(restricted, 3);
      await exportWhen('online', (l) => l.get(restricted.customerId) !== undefined, 'the restriction to be lifted');
      expect((await exportFor('online')).get(restricted.customerId)).toEqual(whole(restricted));
    });
  });

  describe('only subscribers are listed (R9)', () => {
    it('leaves out prospects and former customers, and lists a customer again when a new contract starts', async () => {
      const active = testCustomer(30);
      const prospect = testCustomer(31);
      const leaving = testCustomer(32);
      await customers.created(active);
      await customers.publish(
        prospect.customerId,
        'fi.kielto.customer.created.v1',
        1,
        customers.state(prospect, { activeContract: false }),
      );
      await customers.created(leaving);
      await exportWhen('online', (l) => l.has(active.customerId) && l.has(leaving.customerId), 'the active listings');
      await listingsCaughtUp();
      expect((await exportFor('online')).has(prospect.customerId)).toBe(false);

      const endedAt = new Date().toISOString();
      await customers.publish(
        leaving.customerId,
        'fi.kielto.customer.updated.v1',
        2,
        customers.state(leaving, { activeContract: false, relationshipEndedAt: endedAt }),
      );
      const after = await exportWhen('online', (l) => !l.has(leaving.customerId), 'the former customer to drop out');
      expect(after.get(active.customerId)).toEqual(whole(active));
      for (const outlet of ['printed', 'inquiry-service', 'reverse-search']) {
        const lines = await exportFor(outlet);
        expect(lines.has(leaving.customerId)).toBe(false);
        expect(lines.has(prospect.customerId)).toBe(false);
      }

      // A redelivered older event of the former customer does not bring the listing back.
      await customers.created(leaving, 1);
      await listingsCaughtUp();
      expect((await exportFor('online')).has(leaving.customerId)).toBe(false);

      await customers.publish(leaving.customerId, 'fi.kielto.customer.updated.v1', 3, customers.state(leaving));
      const back = await exportWhen('online', (l) => l.has(leaving.customerId), 'the renewed customer to be listed');
      expect(back.get(leaving.customerId)).toEqual(whole(leaving));
    });

    it('brings a listing stored before v1.1 (a former customer listed) under the rule when its event is read again', async () => {
      const former = testCustomer(33);
      const connection = await mongoose
        .createConnection(MONGODB_URI, { dbName: `${stack.prefix}-directory-bans`, retryWrites: false })
        .asPromise();
      try {
        // What the projection stored for a former customer before v1.1: publishable, because only restriction counted.
        await connection.collection<Record<string, unknown> & { _id: string }>('listings').insertOne({
          _id: former.customerId,
          sequence: 2,
          publishable: true,
          customerNumber: former.customerNumber,
          name: former.listing.name,
          phone: former.listing.phone,
        });
      } finally {
        await connection.close();
      }
      await exportWhen('online', (l) => l.has(former.customerId), 'the listing stored under the old rule');
      const state = customers.state(former, { activeContract: false, relationshipEndedAt: new Date().toISOString() });
      await customers.publish(former.customerId, 'fi.kielto.customer.updated.v1', 2, state);
      await exportWhen('online', (l) => !l.has(former.customerId), 'the re-read event to unlist the former customer');
    });
  });

  describe('suppression', () => {
    const check = (query: Record<string, string>) =>
      request(stack.urls.suppression).get('/v1/suppression/check').set(bearer('marketing')).query(query);
    type Answer = { decision: string; reasons: { code: string; rule: string }[] };
    const answerWhen = (query: Record<string, string>, ok: (a: Answer) => boolean, what: string) =>
      eventually(
        async () => {
          const res = await check(query);
          return res.status === 200 && ok(res.body as Answer) && (res.body as Answer);
        },
        20_000,
        what,
      );

    it('turns a full ban into directory-ban for partner phone marketing, while own phone marketing stays allowed', async () => {
      const customer = testCustomer(20);
      const phone = customer.listing.phone!;
      await customers.created(customer);
      const partner = { channel: 'phone', purpose: 'partner-marketing', phone };
      const own = { channel: 'phone', purpose: 'own-marketing', phone };
      await answerWhen(partner, (a) => a.decision === 'allow', 'suppression to answer before the ban');

      await putBan(customer.customerId, { scope: 'full', reason: 'no directory listing' }).expect(200);
      const banned = await answerWhen(partner, (a) => a.decision === 'suppress', 'the ban to reach suppression');
      expect(banned.reasons).toEqual([expect.objectContaining({ code: 'directory-ban', rule: 'R9' })]);
      expect(await answerWhen(own, () => true, 'own-marketing answer')).toMatchObject({
        decision: 'allow',
        reasons: [],
      });
      const post = await answerWhen(
        { channel: 'post', purpose: 'partner-marketing', customerId: customer.customerId },
        () => true,
        'post answer',
      );
      expect(post).toMatchObject({
        decision: 'suppress',
        reasons: [expect.objectContaining({ code: 'directory-ban' })],
      });

      await request(base).delete(`/v1/directory-bans/${customer.customerId}`).set(staff()).expect(204);
      await answerWhen(partner, (a) => a.decision === 'allow', 'the lift to reach suppression');
    });

    it('does not suppress for a partial ban', async () => {
      const customer = testCustomer(21);
      await customers.created(customer);
      await putBan(customer.customerId, { scope: 'partial', hiddenFields: ['address'] }).expect(200);
      // Once the ban is on Kafka and suppression has caught up with everything published, it has seen both events.
      const eventLog = stack.apps['directory-bans']!.app.get(EventLog);
      await eventually(async () => (await eventLog.pendingCount()) === 0, 20_000, 'the ban to be published');
      const publishedBefore = Date.now();
      const progress = stack.apps.suppression!.events!.progress;
      await eventually(() => Promise.resolve(progress.asOf > publishedBefore), 20_000, 'suppression to catch up');
      const answer = await answerWhen(
        { channel: 'phone', purpose: 'partner-marketing', customerId: customer.customerId },
        () => true,
        'suppression to know the customer',
      );
      expect(answer).toMatchObject({ decision: 'allow' });
    });
  });
});
