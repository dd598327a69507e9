import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import request from 'supertest';
import { TOPICS } from '@kielto/contracts';
import { TOPIC_SPECS } from '@kielto/platform';
import { identifierHash } from '../../examples/partner-consumer/src/identifier-hash';
import { PartnerFeedConsumer } from '../../examples/partner-consumer/src/partner-feed-consumer';
import { bearer, eventually, PARTNER_HASH_KEY, startStack, Stack } from '../support/stack';
import { dropTestData } from './operator-support';

const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const hex = (seed: string) => identifierHash('example-key-0123456789abcdef', 'email', `${seed}@example.fi`)!;
const value = (code: string, channel = 'all', purpose = 'all') =>
  JSON.stringify({
    specversion: '1.0',
    type: 'fi.kielto.suppression.current.v1',
    kind: 'email',
    suppressions: [{ code, channel, purpose, since: '2026-03-02T09:15:27.412Z' }],
    updatedAt: '2026-03-02T09:15:27.412Z',
  });

describe('partner example: a local hashed suppression set that follows kielto.suppression.v1', () => {
  const kafka = new Kafka({ clientId: 'partner-consumer-test', brokers: BROKERS, logLevel: logLevel.NOTHING });
  const consumers: PartnerFeedConsumer[] = [];
  const follow = async (topic: string) => {
    const consumer = new PartnerFeedConsumer({ brokers: BROKERS, topic, groupPrefix: 'partner-consumer-test' });
    consumers.push(consumer);
    await consumer.start();
    return consumer;
  };
  afterEach(async () => {
    for (const c of consumers.splice(0)) await c.stop();
  });

  describe('against the real broker', () => {
    const topic = `p${randomBytes(4).toString('hex')}.${TOPICS.suppression}`;
    const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1 });
    const admin = kafka.admin();
    const send = (key: string, v: string | null) => producer.send({ topic, acks: -1, messages: [{ key, value: v }] });

    beforeAll(async () => {
      await admin.connect();
      const spec = TOPIC_SPECS.find((t) => t.name === TOPICS.suppression)!;
      await admin.createTopics({
        waitForLeaders: true,
        topics: [
          {
            topic,
            numPartitions: spec.partitions,
            configEntries: Object.entries(spec.config).map(([name, v]) => ({ name, value: v })),
          },
        ],
      });
      await producer.connect();
    });
    afterAll(async () => {
      await producer.disconnect();
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
    });

    it('loads values and tombstones already on the topic before ready(), then follows new ones live', async () => {
      const [a, b, c] = [hex('a'), hex('b'), hex('c')];
      await send(a, value('prohibited'));
      await send(b, value('bounce', 'email', 'all'));
      await send(a, null); // a's objection was cleared again: tombstone
      await send(c, value('robinson', 'phone', 'partner-marketing'));

      const feed = await follow(topic);
      await feed.ready();
      expect(feed.set.size).toBe(2);
      expect(feed.set.isSuppressed(a)).toBe(false);
      expect(feed.set.isSuppressed(b, 'email', 'own-marketing')).toBe(true);
      expect(feed.set.isSuppressed(b, 'sms', 'own-marketing')).toBe(false);
      expect(feed.set.isSuppressed(c, 'phone', 'partner-marketing')).toBe(true);
      expect(feed.set.isSuppressed(c, 'phone', 'own-marketing')).toBe(false);

      await send(a, value('complaint', 'email'));
      await send(b, null);
      await eventually(
        () => Promise.resolve(feed.set.isSuppressed(a, 'email', 'profiling') && !feed.set.isSuppressed(b)),
        15_000,
        'the live updates',
      );
      expect(feed.set.suppressionsOf(a)).toEqual([expect.objectContaining({ code: 'complaint' })]);
    });

    it('fails closed on a value it cannot read', async () => {
      const d = hex('d');
      await send(d, '{"type":"something-else"}');
      const feed = await follow(topic);
      await feed.ready();
      expect(feed.set.isSuppressed(d, 'post', 'market-research')).toBe(true);
    });
  });

  describe('end to end with kielto', () => {
    let stack: Stack;

    beforeAll(async () => {
      stack = await startStack(['consents', 'suppression']);
    });
    afterAll(async () => {
      await stack?.close();
      if (stack) await dropTestData(stack.prefix);
    });

    it("a prohibition recorded through consents appears in the partner's set by its hash, and its lifting removes it", async () => {
      const feed = await follow(`${stack.prefix}.${TOPICS.suppression}`);
      await feed.ready();
      const email = ` Partner.${randomBytes(3).toString('hex')}@Example.FI `;
      const hash = identifierHash(PARTNER_HASH_KEY, 'email', email)!;
      expect(feed.set.isSuppressed(hash)).toBe(false);

      const record = (decision: string) =>
        request(stack.urls.consents)
          .post('/v1/consents')
          .set(bearer('staff'))
          .send({ email: email.trim(), channel: 'all', purpose: 'all', decision, source: 'customer-service' })
          .expect(201);
      await record('prohibit');
      await eventually(
        () => Promise.resolve(feed.set.isSuppressed(hash, 'email', 'partner-marketing')),
        30_000,
        'the hash in the set',
      );
      expect(feed.set.suppressionsOf(hash)).toEqual([
        expect.objectContaining({ code: 'prohibited', channel: 'all', purpose: 'all' }),
      ]);

      await record('lift-prohibition');
      await eventually(() => Promise.resolve(!feed.set.isSuppressed(hash)), 30_000, 'the tombstone');
    });
  });
});
