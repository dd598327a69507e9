import request from 'supertest';
import { EVENT_EXAMPLES, EVENT_PAYLOAD_CLASSES, SUPPRESSION_ENTRIES_TOPIC, TOPICS } from '@kielto/contracts';
import { parseEvent, TOPIC_SPECS } from '@kielto/platform';
import { ServiceName, startStack, Stack } from '../support/stack';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const SERVICES: ServiceName[] = ['customers', 'consents', 'directory-bans', 'suppression'];
/** Spectral severities: 0 error, 1 warning, 2 information, 3 hint. */
const ERROR: number = 0;

describe('AsyncAPI: one validated document of every topic, served by every service', () => {
  let stack: Stack;
  let document: Json;

  beforeAll(async () => {
    stack = await startStack(SERVICES);
    const res = await request(stack.urls.customers).get('/docs/asyncapi.json');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    document = res.body as Json;
  });
  afterAll(() => stack?.close());

  it.each(SERVICES)('%s serves the same document at /docs/asyncapi.json without a key', async (service) => {
    const res = await request(stack.urls[service]).get('/docs/asyncapi.json');
    expect(res.status).toBe(200);
    expect(res.body).toEqual(document);
  });

  it('is a valid AsyncAPI 3.0 document (@asyncapi/parser reports no errors)', async () => {
    // Loaded here so that a broken parser install fails this test only, not the whole file.
    const { Parser } = await import('@asyncapi/parser');
    const { document: parsed, diagnostics } = await new Parser().parse(JSON.stringify(document));
    const errors = diagnostics
      .filter((d) => Number(d.severity) === ERROR)
      .map((d) => `${d.path.join('.')}: ${d.message}`);
    expect(errors).toEqual([]);
    expect(parsed).toBeDefined();
    expect(parsed!.version()).toBe('3.0.0');
    // Every topic is a channel at its physical address (this deployment's prefix + the contract name).
    const addresses = parsed!
      .channels()
      .all()
      .map((c) => c.address());
    for (const topic of [...Object.values(TOPICS), SUPPRESSION_ENTRIES_TOPIC]) {
      expect(addresses).toContain(`${stack.prefix}.${topic}`);
    }
    // Every message declares its Kafka key.
    for (const message of parsed!.allMessages().all()) {
      expect(message.bindings().get('kafka')?.value()).toHaveProperty('key');
    }
  });

  it('states keys, partitions and compaction as the services create the topics', () => {
    const byTopic = new Map<string, Json>(
      Object.values(document.channels as Json).map((c: Json) => [String(c.address).slice(stack.prefix.length + 1), c]),
    );
    for (const spec of TOPIC_SPECS) {
      const kafka = byTopic.get(spec.name)?.bindings.kafka;
      expect(kafka).toMatchObject({ topic: `${stack.prefix}.${spec.name}`, partitions: spec.partitions });
      expect(kafka.topicConfiguration['cleanup.policy']).toEqual(spec.config['cleanup.policy'].split(','));
    }
    const compacted = (topic: string) => byTopic.get(topic)!['x-kielto-compacted'];
    expect(compacted(TOPICS.customers)).toBe(true);
    expect(compacted(TOPICS.directoryBans)).toBe(true);
    expect(compacted(TOPICS.suppression)).toBe(true);
    expect(compacted(TOPICS.consents)).toBe(false);
    expect(byTopic.get(TOPICS.consents)!.description).toMatch(/NOT compacted/);
    expect(byTopic.get(TOPICS.suppression)!.description).toMatch(/tombstone/);
  });

  it('has a message with an envelope schema and a valid example for every event type consumers accept', () => {
    const messages = Object.values(document.components.messages as Json);
    const schemas = document.components.schemas as Json;
    for (const type of Object.keys(EVENT_PAYLOAD_CLASSES)) {
      const message = messages.find((m: Json) => m.name === type);
      expect(message).toBeDefined();
      const envelope = schemas[String(message.payload.$ref).split('/').at(-1)!];
      expect(envelope.allOf[0]).toEqual({ $ref: '#/components/schemas/CloudEventV1' });
      expect(envelope.allOf[1].properties.type).toEqual({ type: 'string', const: type });
      const data = schemas[String(envelope.allOf[1].properties.data.$ref).split('/').at(-1)!];
      expect(data).toMatchObject({ type: 'object', properties: expect.any(Object) });
      // The example passes the same validation as a real event on the topic.
      const example = message.examples[0].payload as { subject: string };
      expect(example).toEqual(EVENT_EXAMPLES[type]);
      const parsed = parseEvent(Buffer.from(JSON.stringify(example)), example.subject);
      expect(parsed).toMatchObject({ ok: true });
    }
  });

  it('derives payload schemas from the contract classes (required fields, enums, patterns, nesting)', () => {
    const schemas = document.components.schemas as Json;
    expect(schemas.CloudEventV1.required).toEqual(
      expect.arrayContaining(['specversion', 'id', 'source', 'type', 'subject', 'time', 'sequence', 'data']),
    );
    expect(schemas.ConsentRecordedV1.properties.decision.enum).toEqual([
      'grant',
      'withdraw',
      'prohibit',
      'lift-prohibition',
    ]);
    expect(schemas.ConsentRecordedV1.required).not.toContain('expiresAt');
    expect(schemas.ContactPointHashV1.properties.hash.pattern).toBe('^[0-9a-f]{64}$');
    expect(schemas.CustomerStateV1.properties.contactPoints).toEqual({
      description: expect.any(String),
      type: 'array',
      items: { $ref: '#/components/schemas/ContactPointHashV1' },
    });
    const feed = document.components.messages.suppressionCurrent;
    expect(feed.payload.oneOf).toEqual([{ $ref: '#/components/schemas/SuppressionFeedValueV1' }, { type: 'null' }]);
    expect(feed.bindings.kafka.key.pattern).toBe('^[0-9a-f]{64}$');
  });
});
