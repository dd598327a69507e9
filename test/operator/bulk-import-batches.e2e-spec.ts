import request from 'supertest';
import { CUSTOMER_EVENT_TYPES, importedCustomerId, TOPICS } from '@kielto/contracts';
import { bearer, startStack, Stack } from '../support/stack';
import { readTopic } from '../support/kafka-topics';

/**
 * The batch path of the bulk imports (issue 20): a batch's rows are written in few commands and its events reach
 * Kafka once each, in each aggregate's order; a batch sent again (retried, or overlapping an earlier one) writes
 * nothing twice; a batch with one bad row writes nothing.
 */
interface Event {
  id: string;
  subject: string;
  sequence: number;
  type: string;
  data: Record<string, unknown>;
}

describe('bulk imports: the batch path', () => {
  let stack: Stack;
  const run = Date.now().toString(36);
  const ref = (i: number) => `BATCH-${run}-${i}`;
  const phoneBase = String(Date.now() % 10_000).padStart(4, '0');
  const customer = (i: number) => ({
    ref: ref(i),
    kind: 'person',
    name: `Asiakas ${i}`,
    emails: [`batch${i}.${run}@example.fi`],
    phones: [`+35840${phoneBase}${String(i).padStart(3, '0')}`],
    activeContract: true,
    customerSince: '2015-01-01T00:00:00Z',
  });
  // Each subject's entries in the file out of time order: the ledger must follow time, as single writes' does.
  const entries = (i: number) =>
    [
      { customerRef: ref(i), channel: 'email', purpose: 'own-marketing', decision: 'withdraw', day: '2021-01-01' },
      { customerRef: ref(i), channel: 'email', purpose: 'own-marketing', decision: 'grant', day: '2019-01-01' },
      { customerRef: ref(i), channel: 'sms', purpose: 'partner-marketing', decision: 'grant', day: '2019-06-01' },
    ].map(({ day, ...entry }) => ({ ...entry, source: 'legacy', recordedAt: `${day}T10:00:00.000Z` }));

  const post = (service: 'customers' | 'consents', rows: object[], key: string) =>
    request(stack.urls[service])
      .post(`/v1/${service}/import`)
      .set(bearer('staff'))
      .set('content-type', 'application/x-ndjson')
      .set('idempotency-key', key)
      .send(rows.map((row) => JSON.stringify(row)).join('\n'));

  /** The events of a topic now on Kafka, per subject, in the order Kafka holds them. */
  async function onKafka(topic: string): Promise<Map<string, Event[]>> {
    const bySubject = new Map<string, Event[]>();
    for (const message of await readTopic(`${stack.prefix}.${topic}`)) {
      const event = JSON.parse(message.slice(message.indexOf(' ') + 1)) as Event;
      bySubject.set(event.subject, [...(bySubject.get(event.subject) ?? []), event]);
    }
    return bySubject;
  }

  /** Once each: no event id twice, sequences 1, 2, 3… in Kafka's order. */
  function expectOnceInOrder(events: Event[]): void {
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    expect(events.map((e) => e.sequence)).toEqual(events.map((_, i) => i + 1));
  }

  beforeAll(async () => {
    stack = await startStack(['consents', 'customers']);
  }, 180_000);
  afterAll(() => stack?.close());

  it('imports customers and their ledgers in batches; every event is on Kafka once, in order', async () => {
    const first = await post('customers', [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map(customer), `${run}:c1`).expect(201);
    expect(first.body).toMatchObject({ rows: 10, imported: 10, alreadyPresent: 0, replayed: false });
    const ledger = await post('consents', [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].flatMap(entries), `${run}:e1`).expect(201);
    expect(ledger.body).toMatchObject({ rows: 30, imported: 30, alreadyPresent: 0 });

    // Acknowledged only once on Kafka: read right after the answers, no waiting.
    const customers = await onKafka(TOPICS.customers);
    const consents = await onKafka(TOPICS.consents);
    for (let i = 0; i < 10; i++) {
      const created = customers.get(importedCustomerId(ref(i)))!;
      expect(created.map((e) => e.type)).toEqual([CUSTOMER_EVENT_TYPES.created]);
      expectOnceInOrder(created);
      const ledgerOf = consents.get(`customer:${importedCustomerId(ref(i))}`)!;
      expectOnceInOrder(ledgerOf);
      expect(ledgerOf.map((e) => e.data.recordedAt)).toEqual([
        '2019-01-01T10:00:00.000Z',
        '2019-06-01T10:00:00.000Z',
        '2021-01-01T10:00:00.000Z',
      ]);
      expect(ledgerOf.map((e) => e.data.sequence)).toEqual([1, 2, 3]);
    }
    // The customers are found by their identifiers (lookup slots written by the batch) and read back whole.
    const found = await request(stack.urls.customers)
      .get('/v1/customers')
      .query({ email: `BATCH3.${run}@example.fi` })
      .set(bearer('staff'))
      .expect(200);
    expect(found.body).toEqual([expect.objectContaining({ id: importedCustomerId(ref(3)), name: 'Asiakas 3' })]);
  });

  it('writes nothing twice: the batch retried, and a batch overlapping it', async () => {
    const again = await post('customers', [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map(customer), `${run}:c1`).expect(201);
    expect(again.body).toMatchObject({ rows: 10, imported: 10, replayed: true });
    const overlapping = await post('customers', [5, 6, 7, 8, 9, 10, 11].map(customer), `${run}:c2`).expect(201);
    expect(overlapping.body).toMatchObject({ rows: 7, imported: 2, alreadyPresent: 5, replayed: false });
    const ledger = await post('consents', [8, 9, 10, 11].flatMap(entries), `${run}:e2`).expect(201);
    expect(ledger.body).toMatchObject({ rows: 12, imported: 6, alreadyPresent: 6 });

    const customers = await onKafka(TOPICS.customers);
    const consents = await onKafka(TOPICS.consents);
    for (let i = 0; i < 12; i++) {
      const created = customers.get(importedCustomerId(ref(i)))!;
      expect(created).toHaveLength(1);
      expectOnceInOrder(created);
      const ledgerOf = consents.get(`customer:${importedCustomerId(ref(i))}`)!;
      expect(ledgerOf).toHaveLength(3);
      expectOnceInOrder(ledgerOf);
    }
  });

  it('a batch with one bad row writes nothing', async () => {
    const rows: object[] = [20, 21, 22, 23].map(customer);
    rows.splice(2, 0, { ...customer(24), emails: ['not-an-address'] });
    const refused = await post('customers', rows, `${run}:c3`).expect(400);
    expect(refused.body.errors).toEqual([
      expect.objectContaining({ line: 3, field: expect.stringMatching(/^emails/) }),
    ]);
    const badLedger = [...entries(20), { ...entries(21)[0], expiresAt: '2000-01-01T00:00:00Z' }];
    const refusedLedger = await post('consents', badLedger, `${run}:e3`).expect(400);
    expect(refusedLedger.body.errors).toEqual([expect.objectContaining({ line: 4, field: 'expiresAt' })]);

    for (const i of [20, 21, 22, 23, 24]) {
      await request(stack.urls.customers)
        .get(`/v1/customers/${importedCustomerId(ref(i))}`)
        .set(bearer('staff'))
        .expect(404);
    }
    const customers = await onKafka(TOPICS.customers);
    const consents = await onKafka(TOPICS.consents);
    for (const i of [20, 21, 22, 23, 24]) {
      expect(customers.has(importedCustomerId(ref(i)))).toBe(false);
      expect(consents.has(`customer:${importedCustomerId(ref(i))}`)).toBe(false);
    }
  });
});
