import { Kafka, logLevel } from 'kafkajs';
import request from 'supertest';
import { TOPICS } from '@kielto/contracts';
import { bearer, eventually, startStack, Stack } from '../support/stack';

/** Value of one series in a Prometheus text exposition, or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.split(' ').at(-1));
  }
  return undefined;
}

describe('observability: metrics by convention and request ids', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack(['consents', 'suppression']);
  });
  afterAll(() => stack?.close());

  const metrics = async (url: string) => {
    const res = await request(url).get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/plain/);
    return res.text;
  };

  it('exposes latency, decisions by reason, consumer lag, outbox backlog, DLQ count and index size', async () => {
    // One decision so that the decision counter has a series.
    // (503 until the fresh instance has caught up with its topics: checks fail closed.)
    await eventually(
      async () => {
        const check = await request(stack.urls.suppression)
          .get('/v1/suppression/check')
          .query({ channel: 'email', purpose: 'own-marketing', email: `metrics.${Date.now()}@example.fi` })
          .set(bearer('marketing'));
        return check.status === 200;
      },
      30_000,
      'a suppression check to answer',
    );
    const text = await eventually(async () => {
      const t = await metrics(stack.urls.suppression);
      return (
        sample(t, 'kielto_suppression_decisions_total', { decision: 'suppress', reason: 'no-consent' }) !== undefined &&
        t
      );
    });
    for (const name of [
      'kielto_http_request_duration_seconds_bucket',
      'kielto_suppression_decisions_total',
      'kielto_kafka_consumer_lag_messages',
      'kielto_suppression_consumer_lag_messages',
      'kielto_outbox_pending_events',
      'kielto_kafka_dead_letters_total',
      'kielto_suppression_index_identifiers',
      'kielto_suppression_staleness_ms',
      'kielto_process_resident_memory_bytes',
    ]) {
      expect(text).toMatch(new RegExp(`^(# TYPE )?${name}[ {]`, 'm'));
    }
    expect(
      sample(text, 'kielto_http_request_duration_seconds_count', { route: '/v1/suppression/check', status: '200' }),
    ).toBeGreaterThanOrEqual(1);
    // Both services in this process report their own outbox backlog and consumer lag.
    for (const service of ['consents', 'suppression']) {
      expect(sample(text, 'kielto_outbox_pending_events', { service })).toBeGreaterThanOrEqual(0);
      expect(sample(text, 'kielto_kafka_consumer_lag_messages', { service })).toBeGreaterThanOrEqual(0);
    }
  });

  it('counts a malformed event sent to the DLQ under its source topic', async () => {
    const kafka = new Kafka({
      clientId: 'observability-test',
      brokers: [process.env.KAFKA_BROKERS ?? '127.0.0.1:9092'],
      logLevel: logLevel.NOTHING,
    });
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    try {
      await producer.send({
        topic: `${stack.prefix}.${TOPICS.consents}`,
        messages: [{ key: 'customer:not-an-event', value: '{"specversion":"0.3","hello":"world"}' }],
      });
    } finally {
      await producer.disconnect();
    }
    await eventually(
      async () =>
        (sample(await metrics(stack.urls.suppression), 'kielto_kafka_dead_letters_total', {
          service: 'suppression',
          topic: TOPICS.consents,
        }) ?? 0) >= 1,
      30_000,
      'the dead letter to be counted',
    );
  });

  it('answers every request with x-request-id, equal to the requestId of a problem', async () => {
    const unauthorised = await request(stack.urls.consents).get('/v1/consents').query({ email: 'a@example.fi' });
    expect(unauthorised.status).toBe(401);
    expect(unauthorised.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(unauthorised.body.requestId).toBe(unauthorised.headers['x-request-id']);

    // A caller's own id is kept, so that its logs and kielto's can be correlated.
    const invalid = await request(stack.urls.consents)
      .post('/v1/consents')
      .set(bearer('staff'))
      .set('X-Request-Id', 'campaign-tool-42')
      .send({ email: 'a@example.fi', channel: 'fax', purpose: 'all', decision: 'grant', source: 'x' });
    expect(invalid.status).toBe(400);
    expect(invalid.headers['x-request-id']).toBe('campaign-tool-42');
    expect(invalid.body.requestId).toBe('campaign-tool-42');

    // Problems raised before routing (415 in an onRequest hook) carry it too.
    const wrongType = await request(stack.urls.consents)
      .post('/v1/consents')
      .set(bearer('staff'))
      .set('content-type', 'text/plain')
      .send('hello');
    expect(wrongType.status).toBe(415);
    expect(wrongType.body.requestId).toBe(wrongType.headers['x-request-id']);

    // A malformed id (could be used for log injection) is replaced, never echoed.
    const hostile = await request(stack.urls.consents).get('/health/live').set('X-Request-Id', 'x'.repeat(65));
    expect(hostile.status).toBe(200);
    expect(hostile.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});
