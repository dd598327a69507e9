import { randomBytes } from 'node:crypto';
import { ConfigResourceTypes } from 'kafkajs';
import { MongoClient } from 'mongodb';
import request from 'supertest';
import { TOPICS } from '@kielto/contracts';
import { KafkaService } from '@kielto/platform';
import { readTopic, testKafka } from './support/kafka-topics';
import { bearer, eventually, MONGODB_URI, startStack, Stack } from './support/stack';

/*
 * Issue 16 part 1, "erasure reaches Kafka": the customers topic is compacted within a bounded time (also when it
 * existed before with other settings), and consent events carry no free text, which stays in the consents database
 * that erasure cleans.
 */
jest.setTimeout(240_000);

const DAY_MS = 86_400_000;

describe('erasure reaches Kafka', () => {
  let stack: Stack;
  const run = randomBytes(3).toString('hex');

  beforeAll(async () => {
    stack = await startStack(['customers', 'consents'], { KIELTO_RETENTION_INTERVAL_MS: '0' });
  });
  afterAll(async () => {
    await stack?.close();
    const admin = testKafka('erasure-on-kafka-cleanup').admin();
    await admin.connect();
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${stack.prefix}.`));
    if (topics.length > 0) await admin.deleteTopics({ topics });
    await admin.disconnect();
  });

  async function customersTopicConfig(): Promise<Record<string, string>> {
    const admin = testKafka('erasure-on-kafka-configs').admin();
    await admin.connect();
    try {
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: `${stack.prefix}.${TOPICS.customers}` }],
      });
      return Object.fromEntries(resources[0].configEntries.map((e) => [e.configName, e.configValue]));
    } finally {
      await admin.disconnect();
    }
  }

  const expectBoundedCompaction = (config: Record<string, string>) => {
    expect(config['cleanup.policy']).toBe('compact');
    const lag = Number(config['max.compaction.lag.ms']);
    const segment = Number(config['segment.ms']);
    expect(lag).toBeLessThanOrEqual(DAY_MS);
    expect(segment).toBeLessThanOrEqual(DAY_MS);
    // A record waits at most for its segment to roll and then for the cleaner's lag bound: within a day.
    expect(lag + segment).toBeLessThanOrEqual(DAY_MS);
  };

  it('creates kielto.customers.v1 with compaction bounded in time, and aligns a topic created with older settings at start-up', async () => {
    expectBoundedCompaction(await customersTopicConfig());

    // As an older version created it: compacted, with no bound on when.
    const admin = testKafka('erasure-on-kafka-alter').admin();
    await admin.connect();
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: `${stack.prefix}.${TOPICS.customers}`,
          configEntries: [
            { name: 'cleanup.policy', value: 'compact' },
            { name: 'retention.ms', value: '-1' },
          ],
        },
      ],
    });
    await admin.disconnect();
    const old = await customersTopicConfig();
    expect(Number(old['max.compaction.lag.ms'])).toBeGreaterThan(DAY_MS);

    // What every service does at start-up.
    await stack.apps.customers!.app.get(KafkaService).ensureTopics();
    expectBoundedCompaction(await customersTopicConfig());
  });

  it('publishes consent events without free text: source, reference, agent and notice version stay in the consents database, and erasure removes them', async () => {
    const words = {
      source: `source-words-${run}`,
      reference: `reference-words-${run}`,
      capturedBy: `agent-words-${run}`,
      noticeVersion: `notice-words-${run}`,
    };
    const created = await request(stack.urls.customers)
      .post('/v1/customers')
      .set(bearer('staff'))
      .send({ kind: 'person', name: 'Vapaa Teksti', emails: [`free-text.${run}@example.fi`] });
    expect(created.status).toBe(201);
    const customerId = created.body.id as string;
    const { source, ...evidence } = words;
    const recorded = await request(stack.urls.consents)
      .post('/v1/consents')
      .set(bearer('staff'))
      .send({ customerId, channel: 'email', purpose: 'own-marketing', decision: 'grant', source, evidence });
    expect(recorded.status).toBe(201);
    expect(recorded.body.source).toBe(words.source);
    expect(recorded.body.evidence).toEqual(
      expect.objectContaining({
        reference: words.reference,
        agent: words.capturedBy,
        noticeVersion: words.noticeVersion,
      }),
    );

    // The ledger still proves the decision with its evidence (R6).
    const ledger = await request(stack.urls.consents).get('/v1/consents').query({ customerId }).set(bearer('staff'));
    expect(ledger.body.history).toEqual([
      expect.objectContaining({
        entryId: recorded.body.entryId,
        source: words.source,
        evidence: expect.objectContaining({ reference: words.reference, agent: words.capturedBy }),
      }),
    ]);

    const messages = await eventually(async () => {
      const all = await readTopic(`${stack.prefix}.${TOPICS.consents}`);
      return all.some((m) => m.includes(recorded.body.entryId)) && all;
    }, 30_000);
    const text = messages.join('\n');
    for (const value of Object.values(words)) expect(text).not.toContain(value);

    expect(await evidenceDump()).toContain(words.reference);
    expect(
      (await request(stack.urls.customers).delete(`/v1/customers/${customerId}`).set(bearer('staff'))).status,
    ).toBe(202);
    await eventually(
      async () => !(await evidenceDump()).includes(words.reference),
      30_000,
      'the evidence to be erased',
    );
    const after = await request(stack.urls.consents).get('/v1/consents').query({ customerId }).set(bearer('staff'));
    expect(after.body.history).toEqual([]);
  });

  async function evidenceDump(): Promise<string> {
    const client = await MongoClient.connect(MONGODB_URI);
    try {
      return JSON.stringify(
        await client.db(`${stack.prefix}-consents`).collection('consent_evidence').find().toArray(),
      );
    } finally {
      await client.close();
    }
  }
});
