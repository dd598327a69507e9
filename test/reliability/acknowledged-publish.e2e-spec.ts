import { randomInt, randomUUID } from 'node:crypto';
import request from 'supertest';
import { TOPICS } from '@kielto/contracts';
import { EventLog, KafkaService, ServiceApp } from '@kielto/platform';
import { CustomerStore } from '../../apps/customers/src/customers/customer-store';
import { bearer, eventually, startStack, Stack } from '../support/stack';

/**
 * Issue 20: a write is acknowledged (2xx) only once its event is on Kafka, also when the append stumbled after its
 * insert. Suppression's `asOf` covers what Kafka held at that instant, so an acknowledged change still waiting in
 * an outbox would be answered "allow" by a check whose `asOf` lies after the acknowledgement.
 *
 * The fault suite met it after `kill -9` of FerretDB: the restriction's event was stored, the projection run by the
 * append failed on the database, the customers service still answered 200 (the log showed the change committed),
 * and the event waited for the outbox sweep (every 10 s) while suppression's `asOf` passed the acknowledgement.
 */
describe('reliability: an acknowledged change is on Kafka before its answer (issue 20)', () => {
  let stack: Stack;
  let customers: ServiceApp;

  beforeAll(async () => {
    // A generous staleness bound: this file is about `asOf`'s promise, not the 503 bound.
    stack = await startStack(['customers', 'directory-bans', 'suppression'], { SUPPRESSION_MAX_STALENESS_MS: '30000' });
    customers = stack.apps.customers!;
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await stack?.close();
  });

  /** Messages on a topic so far (every partition's end offset): what consumers can see. */
  const onKafka = async (app: ServiceApp, topic: string): Promise<number> => {
    const kafka = app.app.get(KafkaService);
    const offsets = await kafka.getAdmin().fetchTopicOffsets(kafka.topic(topic));
    return offsets.reduce((sum, o) => sum + Number(o.high), 0);
  };

  const checkPhone = (phone: string) =>
    request(stack.urls.suppression)
      .get('/v1/suppression/check')
      .query({ channel: 'phone', purpose: 'own-marketing', phone })
      .set(bearer('marketing'));

  const injectedDatabaseError = () =>
    Object.assign(new Error('connection 7 to 127.0.0.1:27017 closed (injected)'), { name: 'MongoNetworkError' });

  it('a restriction whose projection failed after the insert is answered 200 only once suppression can see it', async () => {
    const phone = `+358 40 ${randomInt(1_000_000, 9_999_999)}`;
    const created = await request(stack.urls.customers)
      .post('/v1/customers')
      .set(bearer('staff'))
      .send({ kind: 'person', name: 'Testi Rajoitus', phones: [phone], activeContract: true });
    expect(created.status).toBe(201);
    const id = (created.body as { id: string }).id;
    // Phone marketing to a natural person is opt-out (R4): allowed until something says otherwise.
    await eventually(async () => {
      const res = await checkPhone(phone);
      return res.status === 200 && (res.body as { decision: string }).decision === 'allow';
    }, 30_000);
    const before = await onKafka(customers, TOPICS.customers);

    // The database drops the connection while the append projects the stored event (as after kill -9 of FerretDB).
    const store = customers.app.get(CustomerStore);
    const sync = jest.spyOn(store, 'sync').mockRejectedValueOnce(injectedDatabaseError());
    const restricted = await request(stack.urls.customers)
      .put(`/v1/customers/${id}/restriction`)
      .set(bearer('staff'))
      .send({ reason: 'rectification pending' });
    const acknowledgedAt = Date.now();
    expect(sync).toHaveBeenCalled();
    expect(restricted.status).toBe(200);

    // Acknowledged, so already on Kafka (the outbox sweep that would publish it later runs only every 10 s)…
    const onKafkaAtAcknowledgement = await onKafka(customers, TOPICS.customers);
    // …and every answer whose asOf lies after the acknowledgement reflects it.
    const answer = await eventually(
      async () => {
        const res = await checkPhone(phone);
        return res.status === 200 && Date.parse((res.body as { asOf: string }).asOf) > acknowledgedAt && res;
      },
      15_000,
      'an answer with asOf after the acknowledgement',
    );
    expect(answer.body).toMatchObject({
      decision: 'suppress',
      reasons: expect.arrayContaining([expect.objectContaining({ code: 'processing-restricted' })]),
    });
    expect(onKafkaAtAcknowledgement).toBe(before + 1);
    // Nothing stays pending in the outbox.
    expect(await customers.app.get(EventLog).pendingCount()).toBe(0);
  });

  it('a retried ban that finds its change already stored answers 2xx only once the change is on Kafka', async () => {
    const bans = stack.apps['directory-bans']!;
    const kafka = bans.app.get(KafkaService);
    const customerId = randomUUID();
    const before = await onKafka(bans, TOPICS.directoryBans);
    // The broker refuses everything from this service for now: the first attempt stores the event but cannot publish it.
    let brokerDown = true;
    const send = kafka.producer.send.bind(kafka.producer);
    jest
      .spyOn(kafka.producer, 'send')
      .mockImplementation((record) =>
        brokerDown ? Promise.reject(new Error('broker unreachable (injected)')) : send(record),
      );
    const put = () =>
      request(stack.urls['directory-bans'])
        .put(`/v1/directory-bans/${customerId}`)
        .set(bearer('staff'))
        .send({ scope: 'full', reason: 'asked at the shop' });

    const first = await put();
    expect(first.status).toBe(503); // stored, not confirmed: not acknowledged
    // The client retries while the broker is still unreachable: the ban is already in the log, but not on Kafka,
    // so the retry must not acknowledge it either.
    const retried = await put();
    expect(retried.status).toBe(503);
    expect(await onKafka(bans, TOPICS.directoryBans)).toBe(before);

    brokerDown = false;
    const confirmed = await put();
    expect(confirmed.status).toBe(200);
    expect(await onKafka(bans, TOPICS.directoryBans)).toBeGreaterThan(before);
  });

  /** The customers service's event log, and the parts of it these tests hold back or run at will. */
  const outbox = () => {
    const eventLog = customers.app.get(EventLog);
    const internals = eventLog as unknown as {
      markers: { deleteMany: (...args: unknown[]) => Promise<unknown> };
      sweeper: { request(): void; idle(): Promise<void> };
    };
    return { eventLog, internals };
  };

  it('an outbox sweep while the relay deletes the markers of what it just sent sends nothing again', async () => {
    const { eventLog, internals } = outbox();
    const before = await onKafka(customers, TOPICS.customers);
    // The relay's marker deletes wait (a busy database: on an import they take a second per thousand events).
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let holding!: () => void;
    const deleting = new Promise<void>((resolve) => (holding = resolve));
    const deleteMany = internals.markers.deleteMany.bind(internals.markers);
    const spy = jest.spyOn(internals.markers, 'deleteMany').mockImplementationOnce(async (...args: unknown[]) => {
      holding();
      await held;
      return deleteMany(...args);
    });
    const store = customers.app.get(CustomerStore);
    const sync = jest.spyOn(store, 'sync');
    const created = request(stack.urls.customers)
      .post('/v1/customers')
      .set(bearer('staff'))
      .send({ kind: 'person', name: 'Testi Pyyhkäisy', phones: [`+358 40 ${randomInt(1_000_000, 9_999_999)}`] })
      .then((res) => res);
    await deleting;
    // Sent, marker still there: a sweep now must leave it to the relay.
    expect(await onKafka(customers, TOPICS.customers)).toBe(before + 1);
    const syncsBefore = sync.mock.calls.length;
    internals.sweeper.request();
    await internals.sweeper.idle();
    release();
    expect((await created).status).toBe(201);
    expect(await onKafka(customers, TOPICS.customers)).toBe(before + 1);
    expect(sync.mock.calls.length).toBe(syncsBefore);
    expect(await eventLog.pendingCount()).toBe(0);
    spy.mockRestore();
    sync.mockRestore();
  });

  it('an event whose marker could not be deleted after it was sent is sent again by the next sweep', async () => {
    const { eventLog, internals } = outbox();
    const before = await onKafka(customers, TOPICS.customers);
    const spy = jest.spyOn(internals.markers, 'deleteMany').mockRejectedValueOnce(injectedDatabaseError());
    const created = await request(stack.urls.customers)
      .post('/v1/customers')
      .set(bearer('staff'))
      .send({ kind: 'person', name: 'Testi Merkki', phones: [`+358 40 ${randomInt(1_000_000, 9_999_999)}`] });
    expect(created.status).toBe(201);
    expect(await onKafka(customers, TOPICS.customers)).toBe(before + 1);
    await eventually(() => Promise.resolve(spy.mock.calls.length > 0), 10_000, 'the marker delete tried');
    // At-least-once: the marker says pending, so the sweep sends the event again, and only then drops the marker.
    internals.sweeper.request();
    await internals.sweeper.idle();
    expect(await onKafka(customers, TOPICS.customers)).toBe(before + 2);
    expect(await eventLog.pendingCount()).toBe(0);
    spy.mockRestore();
  });
});
