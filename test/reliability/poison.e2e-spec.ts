import { randomUUID } from 'node:crypto';
import { IHeaders, Kafka, logLevel, Producer } from 'kafkajs';
import request from 'supertest';
import {
  cloudEvent,
  CONSENT_EVENT_TYPES,
  ConsentRecordedV1,
  normaliseEmail,
  subjectKey,
  TOPICS,
} from '@kielto/contracts';
import { IdentifierHasher } from '@kielto/platform';
import { bearer, eventually, PARTNER_HASH_KEY, startStack, Stack } from '../support/stack';

/**
 * Poison messages (issue 8): a malformed message on a source topic goes to the dead-letter topic with its reason
 * and the consumer moves on, so the valid message behind it (same key, so same partition, later offset) is
 * applied. Covers bad JSON, an unknown type, a known type in an unknown version, and a valid envelope whose
 * data lacks required fields.
 */
describe('reliability: poisoned messages are dead-lettered and later messages still apply', () => {
  let stack: Stack;
  let kafka: Kafka;
  let producer: Producer;
  const hasher = new IdentifierHasher(PARTNER_HASH_KEY);

  beforeAll(async () => {
    stack = await startStack(['suppression']);
    kafka = new Kafka({
      brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
      logLevel: logLevel.NOTHING,
    });
    producer = kafka.producer();
    await producer.connect();
  });
  afterAll(async () => {
    await producer?.disconnect();
    await stack?.close();
  });

  const topic = (name: string) => `${stack.prefix}.${name}`;

  it('sends each poisoned message to kielto.dlq.v1 with kielto-dlq-reason and applies the valid one after them', async () => {
    const email = `poison.${randomUUID().slice(0, 8)}@example.fi`;
    const subject = { type: 'email' as const, key: hasher.hash(normaliseEmail(email)!) };
    const key = subjectKey(subject);
    const check = () =>
      request(stack.urls.suppression)
        .get('/v1/suppression/check')
        .query({ channel: 'phone', purpose: 'partner-marketing', email })
        .set(bearer('marketing'));

    // Before: phone marketing is allowed (R4) for an address nobody prohibited.
    const before = await eventually(
      async () => {
        const res = await check();
        return res.status === 200 && res;
      },
      30_000,
      'a fresh state',
    );
    expect(before.body.decision).toBe('allow');

    const entry = (sequence: number): ConsentRecordedV1 => ({
      entryId: randomUUID(),
      subject,
      channel: 'all',
      purpose: 'all',
      decision: 'prohibit',
      recordedAt: new Date().toISOString(),
      source: 'poison-test',
      sequence,
    });
    const envelope = (type: string, data: unknown, sequence = 1) =>
      cloudEvent({ service: 'consents', type, subject: key, sequence, data });
    const missingFields: Partial<ConsentRecordedV1> = entry(1);
    delete missingFields.decision;
    delete missingFields.channel;
    const poisoned: { label: string; value: string; reason: RegExp }[] = [
      { label: 'bad JSON', value: '{"specversion":"1.0","id":', reason: /not valid JSON/ },
      {
        label: 'unknown type',
        value: JSON.stringify(envelope('fi.kielto.consent.teleported.v1', entry(1))),
        reason: /unknown event type fi\.kielto\.consent\.teleported\.v1/,
      },
      {
        label: 'wrong version',
        value: JSON.stringify(envelope('fi.kielto.consent.recorded.v9', entry(1))),
        reason: /unknown event type fi\.kielto\.consent\.recorded\.v9/,
      },
      {
        label: 'missing data fields',
        value: JSON.stringify(envelope(CONSENT_EVENT_TYPES.recorded, missingFields)),
        reason: /invalid data for fi\.kielto\.consent\.recorded\.v1: .*(decision|channel)/,
      },
    ];
    const valid = JSON.stringify(envelope(CONSENT_EVENT_TYPES.recorded, entry(1)));

    // One key: the same partition, in this order, so the valid message sits behind all four.
    const sent = await producer.send({
      topic: topic(TOPICS.consents),
      acks: -1,
      messages: [...poisoned.map((p) => ({ key, value: p.value })), { key, value: valid }],
    });
    const partition = sent[0].partition;

    // The valid one is applied: the prohibition (R5) now suppresses phone marketing too.
    const after = await eventually(
      async () => {
        const res = await check();
        return res.status === 200 && res.body.decision === 'suppress' && res;
      },
      30_000,
      'the valid prohibition to be applied',
    );
    expect(after.body.reasons[0]).toMatchObject({ code: 'prohibited', rule: 'R5' });

    // Each poisoned message is on the DLQ, byte for byte, with its reason and where it came from.
    const dead: { value: string; headers: Record<string, string> }[] = [];
    const consumer = kafka.consumer({ groupId: `${stack.prefix}-dlq-reader` });
    await consumer.connect();
    await consumer.subscribe({ topic: topic(TOPICS.dlq), fromBeginning: true });
    await consumer.run({
      eachMessage: ({ message }) => {
        const headers = Object.fromEntries(
          Object.entries(message.headers as IHeaders).map(([k, v]) => [
            k,
            Buffer.isBuffer(v) ? v.toString('utf8') : String(v),
          ]),
        );
        dead.push({ value: message.value?.toString('utf8') ?? '', headers });
        return Promise.resolve();
      },
    });
    try {
      await eventually(() => Promise.resolve(dead.length >= poisoned.length), 30_000, 'four messages on the DLQ');
    } finally {
      await consumer.disconnect();
    }
    expect(dead).toHaveLength(poisoned.length);
    for (const p of poisoned) {
      const found = dead.find((d) => d.value === p.value);
      expect(found).toBeDefined();
      expect(found!.headers['kielto-dlq-reason']).toMatch(p.reason);
      expect(found!.headers['kielto-dlq-topic']).toBe(topic(TOPICS.consents));
      expect(found!.headers['kielto-dlq-partition']).toBe(String(partition));
      expect(found!.headers['kielto-dlq-consumer']).toBe(`${stack.prefix}.kielto-suppression-${stack.prefix}-a`);
    }
    // Reasons name fields and constraints, never the values (which may be personal data).
    expect(dead.map((d) => d.headers['kielto-dlq-reason']).join(' ')).not.toContain(subject.key);
    // The valid message was not dead-lettered.
    expect(dead.some((d) => d.value === valid)).toBe(false);

    // And the consumer moved past all of them: nothing left to process.
    const digest = await eventually(
      async () => {
        const res = await request(stack.urls.suppression).get('/v1/suppression/state/digest').set(bearer('admin'));
        return res.status === 200 && res.body.lag === 0 && res;
      },
      30_000,
      'no consumer lag',
    );
    expect(digest.body.counts.ledgerEntries).toBe(1);
  });
});
