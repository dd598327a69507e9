import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, Producer } from 'kafkajs';
import request from 'supertest';
import type { ServiceApp } from '@kielto/platform';
import { bearer, eventually, startStack, Stack } from '../support/stack';

/**
 * Duplicates and order (issue 8): the suppression state is a pure function of the source topics. Real writes go
 * through all four services; then every topic is read again from offset 0 by fresh consumer groups (new
 * suppression instances with their own databases), and every message is delivered once more in reverse order.
 * The state digest never changes.
 */
interface Digest {
  sha256: string;
  counts: Record<string, number>;
  asOf: string | null;
  lag: number;
}

const SOURCE_TOPICS = [
  'kielto.customers.v1',
  'kielto.consents.v1',
  'kielto.directory-bans.v1',
  'kielto.suppression-entries.v1',
];

describe('reliability: replaying every topic into fresh consumer groups rebuilds the identical state', () => {
  let stack: Stack;
  const extra: ServiceApp[] = [];
  let kafka: Kafka;
  let producer: Producer;
  let lastWriteAt = 0;

  const api = (url: string) => request(url);
  const digestOf = async (app: ServiceApp | string): Promise<Digest> =>
    (
      await api(typeof app === 'string' ? app : app.url)
        .get('/v1/suppression/state/digest')
        .set(bearer('admin'))
        .expect(200)
    ).body as Digest;

  /** The digest once the instance's state covers everything published before `since` (no lag). */
  const settled = (app: ServiceApp | string, since: number, what: string) =>
    eventually(
      async () => {
        const d = await digestOf(app);
        return d.asOf !== null && Date.parse(d.asOf) > since && d.lag === 0 && d;
      },
      60_000,
      what,
    );

  /** A new suppression instance in this process: same topics, its own database and consumer group. */
  async function startInstance(suffix: string): Promise<ServiceApp> {
    const saved = { db: process.env.MONGODB_DB_PREFIX, id: process.env.SUPPRESSION_INSTANCE_ID };
    process.env.MONGODB_DB_PREFIX = `${stack.prefix}-${suffix}`;
    process.env.SUPPRESSION_INSTANCE_ID = `${stack.prefix}-${suffix}`;
    try {
      const { start } = (await import('../../apps/suppression/src/service')) as {
        start(port?: number): Promise<ServiceApp>;
      };
      const app = await start(0);
      extra.push(app);
      return app;
    } finally {
      process.env.MONGODB_DB_PREFIX = saved.db;
      process.env.SUPPRESSION_INSTANCE_ID = saved.id;
    }
  }

  const ok = async (res: request.Test, status: number) => {
    const r = await res;
    if (r.status !== status) throw new Error(`expected ${status}, got ${r.status} ${JSON.stringify(r.body)}`);
    lastWriteAt = Date.now();
    return r;
  };

  beforeAll(async () => {
    stack = await startStack(['customers', 'consents', 'directory-bans', 'suppression']);
    kafka = new Kafka({
      brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
      logLevel: logLevel.NOTHING,
    });
    producer = kafka.producer();
    await producer.connect();

    const { customers, consents } = stack.urls;
    const bans = stack.urls['directory-bans'];
    const tag = randomUUID().slice(0, 8);
    const email = (n: string) => `replay.${tag}.${n}@example.fi`;
    const phone = (n: number) => `+358407${String(100000 + Math.floor(Math.random() * 800000) + n)}`;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await ok(
        api(customers)
          .post('/v1/customers')
          .set(bearer('staff'))
          .send({ kind: 'person', name: `Replay ${i}`, emails: [email(`c${i}`)], phones: [phone(i)] }),
        201,
      );
      ids.push(res.body.id as string);
    }
    await ok(
      api(customers)
        .patch(`/v1/customers/${ids[0]}`)
        .set(bearer('staff'))
        .send({ emails: [email('c0'), email('c0b')] }),
      200,
    );
    await ok(
      api(customers).put(`/v1/customers/${ids[1]}/restriction`).set(bearer('staff')).send({ reason: 'replay test' }),
      200,
    );
    await ok(
      api(customers).put(`/v1/customers/${ids[2]}/restriction`).set(bearer('staff')).send({ reason: 'replay test' }),
      200,
    );
    await ok(api(customers).delete(`/v1/customers/${ids[2]}/restriction`).set(bearer('staff')), 200);
    const decisions = ['grant', 'withdraw', 'prohibit', 'lift-prohibition', 'grant', 'withdraw'];
    const subjects = [
      { customerId: ids[0] },
      { email: email('c0b') },
      { customerId: ids[3] },
      { phone: phone(99) },
      { email: email('bare1') },
      { email: email('bare2') },
      { customerId: ids[4] },
    ];
    for (const [i, subject] of subjects.entries()) {
      for (let j = 0; j < 3; j++) {
        await ok(
          api(consents)
            .post('/v1/consents')
            .set(bearer('staff'))
            .send({
              ...subject,
              channel: ['email', 'sms', 'all', 'phone'][(i + j) % 4],
              purpose: ['own-marketing', 'all', 'partner-marketing'][(i * 2 + j) % 3],
              decision: decisions[(i + j * 5) % decisions.length],
              source: 'replay-test',
            }),
          201,
        );
      }
    }
    await ok(api(bans).put(`/v1/directory-bans/${ids[0]}`).set(bearer('staff')).send({ scope: 'full' }), 200);
    await ok(
      api(bans)
        .put(`/v1/directory-bans/${ids[3]}`)
        .set(bearer('staff'))
        .send({ scope: 'partial', hiddenFields: ['address'] }),
      200,
    );
    await ok(api(bans).put(`/v1/directory-bans/${ids[4]}`).set(bearer('staff')).send({ scope: 'full' }), 200);
    await ok(api(bans).delete(`/v1/directory-bans/${ids[4]}`).set(bearer('staff')), 204);
    await ok(
      api(stack.urls.suppression)
        .post('/v1/suppression/entries')
        .set(bearer('staff'))
        .send({ email: email('bounced'), channel: 'email', reason: 'bounce' }),
      201,
    );
    // Erasure last: it also erases the customer's ledger in consents (consents.ledger-erased events).
    await ok(api(customers).delete(`/v1/customers/${ids[3]}`).set(bearer('staff')), 202);
  });

  afterAll(async () => {
    for (const app of extra) await app.app.close();
    await producer?.disconnect();
    await stack?.close();
  });

  it('a fresh consumer group reading every topic from offset 0 reaches the live digest, and a second one too', async () => {
    const live = await settled(stack.apps.suppression!, lastWriteAt, 'the live instance to include every write');
    expect(live.counts.customers).toBeGreaterThanOrEqual(5);
    expect(live.counts.erasedCustomers).toBe(1);
    expect(live.counts.ledgerEntries).toBeGreaterThan(0);
    expect(live.counts.directoryBans).toBeGreaterThanOrEqual(3);

    for (const suffix of ['replay1', 'replay2']) {
      const replica = await startInstance(suffix);
      const digest = await settled(replica, lastWriteAt, `${suffix} to catch up`);
      expect({ sha256: digest.sha256, counts: digest.counts }).toEqual({ sha256: live.sha256, counts: live.counts });
    }
  });

  it('an instance restarted from its own database and committed offsets holds the same state (cold start)', async () => {
    const live = await settled(stack.apps.suppression!, lastWriteAt, 'the live instance to settle');
    // replay1 persisted everything it consumed; restarted with the same database and group it loads the store
    // and has nothing left to consume, so whatever it answers comes from what it had written down.
    const replay1 = extra.shift()!;
    await replay1.app.close();
    const cold = await startInstance('replay1');
    const digest = await settled(cold, lastWriteAt, 'the cold-started instance to be fresh');
    expect({ sha256: digest.sha256, counts: digest.counts }).toEqual({ sha256: live.sha256, counts: live.counts });
  });

  it('delivering every message again, newest first, changes nothing; a group that sees originals and duplicates agrees', async () => {
    const before = await settled(stack.apps.suppression!, lastWriteAt, 'the live instance to settle');

    // Read every message of the source topics as it is now, and produce each one again in reverse order: each
    // is then a duplicate, and older events of an aggregate arrive after newer ones.
    const all: { topic: string; key: Buffer | null; value: Buffer | null; headers: Record<string, Buffer | string> }[] =
      [];
    const admin = kafka.admin();
    await admin.connect();
    const physical = SOURCE_TOPICS.map((t) => `${stack.prefix}.${t}`);
    const ends = new Map<string, number>();
    for (const topic of physical) {
      for (const p of await admin.fetchTopicOffsets(topic)) ends.set(`${topic}:${p.partition}`, Number(p.high));
    }
    await admin.disconnect();
    const remaining = new Set([...ends].filter(([, high]) => high > 0).map(([k]) => k));
    const reader = kafka.consumer({ groupId: `${stack.prefix}-reader-${randomUUID()}` });
    await reader.connect();
    await reader.subscribe({ topics: physical, fromBeginning: true });
    await reader.run({
      eachMessage: ({ topic, partition, message }) => {
        all.push({
          topic,
          key: message.key,
          value: message.value,
          headers: message.headers as Record<string, Buffer | string>,
        });
        if (Number(message.offset) + 1 >= (ends.get(`${topic}:${partition}`) ?? 0))
          remaining.delete(`${topic}:${partition}`);
        return Promise.resolve();
      },
    });
    await eventually(() => Promise.resolve(remaining.size === 0), 30_000, 'every source message to be read');
    await reader.disconnect();
    expect(all.length).toBeGreaterThan(30);

    for (const m of [...all].reverse()) {
      await producer.send({ topic: m.topic, acks: -1, messages: [{ key: m.key, value: m.value, headers: m.headers }] });
    }
    const redeliveredAt = Date.now();

    const after = await settled(stack.apps.suppression!, redeliveredAt, 'the live instance to consume the duplicates');
    expect({ sha256: after.sha256, counts: after.counts }).toEqual({ sha256: before.sha256, counts: before.counts });

    const replica = await startInstance('replay3');
    const digest = await settled(replica, redeliveredAt, 'replay3 to catch up with originals and duplicates');
    expect({ sha256: digest.sha256, counts: digest.counts }).toEqual({ sha256: before.sha256, counts: before.counts });
  });
});
