import { randomInt, randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import request from 'supertest';
import { TOPICS } from '@kielto/contracts';
import type { ServiceApp } from '@kielto/platform';
import { bearer, eventually, startStack, Stack } from '../support/stack';

/**
 * Issue 20 item 5: two instances of each source service on the same database and topics. Writes go through both at
 * once, to the same aggregates; every acknowledged write is on Kafka exactly once (by event id), each aggregate's
 * events reach Kafka in sequence order (the first time each is seen) with no gap and no sequence taken twice, and
 * suppression ends in the state the sources hold.
 */
describe('reliability: two instances of each source service', () => {
  let stack: Stack;
  /** The second instance of each source service, started beside the stack's first, on the same prefix. */
  const second: Partial<Record<'customers' | 'consents' | 'directory-bans', ServiceApp>> = {};

  beforeAll(async () => {
    stack = await startStack(['customers', 'consents', 'directory-bans', 'suppression'], {
      SUPPRESSION_MAX_STALENESS_MS: '30000',
    });
    for (const name of ['customers', 'consents', 'directory-bans'] as const) {
      const { start } = (await import(`../../apps/${name}/src/service`)) as {
        start(port?: number): Promise<ServiceApp>;
      };
      second[name] = await start(0);
    }
  }, 180_000);
  afterAll(async () => {
    for (const app of Object.values(second)) await app?.app.close();
    await stack?.close();
  });

  const both = (name: 'customers' | 'consents' | 'directory-bans') => [stack.urls[name], second[name]!.url];

  interface Seen {
    id: string;
    sequence: number;
    data: Record<string, unknown>;
  }

  /** Every event of a topic, per aggregate (the Kafka key), in the order Kafka holds them. */
  async function eventsOnKafka(topic: string): Promise<Map<string, Seen[]>> {
    const kafka = new Kafka({
      brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
      logLevel: logLevel.NOTHING,
    });
    const physical = `${stack.prefix}.${topic}`;
    const admin = kafka.admin();
    await admin.connect();
    const ends = await admin.fetchTopicOffsets(physical);
    await admin.disconnect();
    const remaining = new Set(ends.filter((o) => Number(o.high) > 0).map((o) => o.partition));
    const byKey = new Map<string, Seen[]>();
    const consumer = kafka.consumer({ groupId: `${stack.prefix}-reader-${randomUUID()}` });
    await consumer.connect();
    await consumer.subscribe({ topic: physical, fromBeginning: true });
    await consumer.run({
      eachMessage: ({ partition, message }) => {
        const event = JSON.parse(message.value!.toString('utf8')) as Seen & { subject: string };
        const key = message.key!.toString('utf8');
        byKey.set(key, [...(byKey.get(key) ?? []), { id: event.id, sequence: event.sequence, data: event.data }]);
        if (Number(message.offset) + 1 >= Number(ends.find((o) => o.partition === partition)!.high)) {
          remaining.delete(partition);
        }
        return Promise.resolve();
      },
    });
    await eventually(() => Promise.resolve(remaining.size === 0), 60_000, `the whole ${topic} topic to be read`);
    await consumer.disconnect();
    return byKey;
  }

  /**
   * The aggregate's events in the order each was first seen (a later copy is a harmless duplicate): sequences 1, 2,
   * 3… with none missing, none taken by two events, none overtaking its predecessor.
   */
  function expectOrdered(seen: Seen[]): Seen[] {
    const first = new Map<string, Seen>();
    for (const event of seen) if (!first.has(event.id)) first.set(event.id, event);
    const ordered = [...first.values()];
    expect(ordered.map((e) => e.sequence)).toEqual(ordered.map((_, i) => i + 1));
    return ordered;
  }

  it('writes through both instances at once: nothing lost, each aggregate in order, suppression agrees', async () => {
    // Customers, created alternately through both instances.
    const phones = Array.from({ length: 4 }, () => `+35840${randomInt(1_000_000, 9_999_999)}`);
    const ids: string[] = [];
    for (const [i, phone] of phones.entries()) {
      const res = await request(both('customers')[i % 2])
        .post('/v1/customers')
        .set(bearer('staff'))
        .send({ kind: 'person', name: `Kaksi ${i}`, phones: [phone], activeContract: true });
      expect(res.status).toBe(201);
      ids.push((res.body as { id: string }).id);
    }

    // Concurrent rectifications of the same customers through both: each is 200 (committed) or 409 (lost the race).
    const updates = await Promise.all(
      ids.flatMap((id) =>
        Array.from({ length: 6 }, (_, k) =>
          request(both('customers')[k % 2])
            .patch(`/v1/customers/${id}`)
            .set(bearer('staff'))
            .send({ name: `Kaksi ${id.slice(0, 4)} ${k}` })
            .then((res) => ({ id, status: res.status, version: (res.body as { version?: number }).version })),
        ),
      ),
    );
    for (const u of updates) expect([200, 409]).toContain(u.status);

    // Ledger entries of one bare e-mail and of the customers' phones, through both at once: every one is 201.
    const email = `kaksi-${randomUUID()}@example.fi`;
    const decisions = ['grant', 'withdraw'] as const;
    const recorded = await Promise.all([
      ...Array.from({ length: 16 }, (_, k) =>
        request(both('consents')[k % 2])
          .post('/v1/consents')
          .set(bearer('staff'))
          .send({
            email,
            channel: 'email',
            purpose: 'own-marketing',
            decision: decisions[k % 2],
            source: 'two-instances',
          }),
      ),
      ...phones.flatMap((phone) =>
        Array.from({ length: 4 }, (_, k) =>
          request(both('consents')[k % 2])
            .post('/v1/consents')
            .set(bearer('staff'))
            .send({
              phone,
              channel: 'phone',
              purpose: 'partner-marketing',
              decision: decisions[k % 2],
              source: 'two-instances',
            }),
        ),
      ),
    ]);
    for (const res of recorded) expect(res.status).toBe(201);
    const entryIds = new Set(recorded.map((res) => (res.body as { entryId: string }).entryId));

    // Directory bans of the same customers, each request a different ban, through both at once: 200 or 409.
    const bans = await Promise.all(
      ids.flatMap((id) =>
        Array.from({ length: 4 }, (_, k) =>
          request(both('directory-bans')[k % 2])
            .put(`/v1/directory-bans/${id}`)
            .set(bearer('staff'))
            .send({
              scope: k === 3 ? 'full' : 'partial',
              ...(k === 3 ? {} : { hiddenFields: ['address'] }),
              reason: `r${k}`,
            })
            .then((res) => ({ id, status: res.status })),
        ),
      ),
    );
    for (const b of bans) expect([200, 409]).toContain(b.status);

    // Kafka: customers — every committed version once, in order; the acknowledged ones among them.
    const customerEvents = await eventsOnKafka(TOPICS.customers);
    for (const id of ids) {
      const ordered = expectOrdered(customerEvents.get(id) ?? []);
      const acknowledged = updates.filter((u) => u.id === id && u.status === 200).map((u) => u.version!);
      expect(acknowledged.length).toBeGreaterThan(0);
      expect(new Set(acknowledged).size).toBe(acknowledged.length);
      expect(ordered.length).toBe(1 + acknowledged.length);
      for (const version of acknowledged) expect(ordered.map((e) => e.sequence)).toContain(version);
    }

    // Kafka: consents — every acknowledged entry exactly once, each ledger in order.
    const ledgerEvents = await eventsOnKafka(TOPICS.consents);
    const onKafka: string[] = [];
    for (const seen of ledgerEvents.values()) {
      for (const event of expectOrdered(seen)) onKafka.push((event.data as { entryId: string }).entryId);
    }
    expect(onKafka.length).toBe(entryIds.size);
    expect(new Set(onKafka)).toEqual(entryIds);

    // Kafka: directory bans — one event per acknowledged change, in order.
    const banEvents = await eventsOnKafka(TOPICS.directoryBans);
    for (const id of ids) {
      const ordered = expectOrdered(banEvents.get(id) ?? []);
      expect(ordered.length).toBe(bans.filter((b) => b.id === id && b.status === 200).length);
    }

    // Suppression agrees with the sources. The e-mail: allowed exactly when its ledger's latest decision is a grant.
    const ledger = await request(both('consents')[1]).get('/v1/consents').query({ email }).set(bearer('staff'));
    expect(ledger.status).toBe(200);
    const row = (ledger.body as { current: { channel: string; purpose: string; consent: string }[] }).current.find(
      (r) => r.channel === 'email' && r.purpose === 'own-marketing',
    )!;
    const expected = row.consent === 'granted' ? 'allow' : 'suppress';
    await eventually(
      async () => {
        const res = await request(stack.urls.suppression)
          .get('/v1/suppression/check')
          .query({ channel: 'email', purpose: 'own-marketing', email })
          .set(bearer('marketing'));
        return res.status === 200 && (res.body as { decision: string }).decision === expected;
      },
      30_000,
      `suppression to answer ${expected} for the e-mail (consents says ${row.consent})`,
    );
    // Each customer: the ban in force as the directory-bans service reads it decides partner phone marketing (R9).
    for (const [i, id] of ids.entries()) {
      const ban = await request(both('directory-bans')[i % 2])
        .get(`/v1/directory-bans/${id}`)
        .set(bearer('staff'));
      expect(ban.status).toBe(200);
      const full = (ban.body as { scope: string }).scope === 'full';
      await eventually(
        async () => {
          const res = await request(stack.urls.suppression)
            .get('/v1/suppression/check')
            .query({ channel: 'phone', purpose: 'partner-marketing', customerId: id })
            .set(bearer('marketing'));
          const reasons = (res.body as { reasons?: { code: string }[] }).reasons ?? [];
          return res.status === 200 && reasons.some((r) => r.code === 'directory-ban') === full;
        },
        30_000,
        `suppression to reflect the ban in force of customer ${i}`,
      );
    }
  }, 300_000);

  it('a read through one instance sees what the other appended after it (its in-memory hints are stale)', async () => {
    const [first, other] = both('consents');
    const email = `vihje-${randomUUID()}@example.fi`;
    const record = (url: string, decision: 'grant' | 'withdraw') =>
      request(url)
        .post('/v1/consents')
        .set(bearer('staff'))
        .send({ email, channel: 'email', purpose: 'own-marketing', decision, source: 'two-instances' });
    const ledger = async (url: string) => {
      const res = await request(url).get('/v1/consents').query({ email }).set(bearer('staff'));
      expect(res.status).toBe(200);
      return (res.body as { history: { entryId: string; decision: string }[] }).history;
    };
    // The first instance has seen the ledger empty, then with its own entry.
    expect(await ledger(first)).toHaveLength(0);
    expect((await record(first, 'grant')).status).toBe(201);
    expect(await ledger(first)).toHaveLength(1);
    // The other appends three more; the first instance's reads must see all of them, the newest last.
    for (const decision of ['withdraw', 'grant', 'withdraw'] as const)
      expect((await record(other, decision)).status).toBe(201);
    const seen = await ledger(first);
    expect(seen.map((e) => e.decision)).toEqual(['grant', 'withdraw', 'grant', 'withdraw']);
    // And its next append takes the next sequence (not the one its hint names), seen by both.
    expect((await record(first, 'grant')).status).toBe(201);
    expect(await ledger(other)).toHaveLength(5);
    expect(await ledger(first)).toHaveLength(5);

    // A customer: read through the first, changed twice through the other, read through the first again.
    const [customersFirst, customersOther] = both('customers');
    const created = await request(customersFirst)
      .post('/v1/customers')
      .set(bearer('staff'))
      .send({ kind: 'person', name: 'Vihje Alku', emails: [email] });
    expect(created.status).toBe(201);
    const id = (created.body as { id: string }).id;
    for (const name of ['Vihje Yksi', 'Vihje Kaksi']) {
      const res = await request(customersOther).patch(`/v1/customers/${id}`).set(bearer('staff')).send({ name });
      expect(res.status).toBe(200);
    }
    const read = await request(customersFirst).get(`/v1/customers/${id}`).set(bearer('staff'));
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ name: 'Vihje Kaksi', version: 3 });
  }, 60_000);
});
