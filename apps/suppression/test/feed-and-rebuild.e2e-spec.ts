import { randomBytes, randomUUID } from 'node:crypto';
import { Consumer, Kafka, logLevel } from 'kafkajs';
import { MongoClient } from 'mongodb';
import request from 'supertest';
import { TOPICS } from '@kielto/contracts';
import type { ServiceApp } from '@kielto/platform';
import { bearer, eventually, MONGODB_URI, startStack, Stack } from '../../../test/support/stack';
import {
  codes,
  emailHash,
  eventuallyAnswer,
  phoneHash,
  SourceEvents,
  RELAXED_FRESHNESS,
} from './support/source-events';

interface Digest {
  sha256: string;
  counts: Record<string, number>;
  asOf: string | null;
  lag: number;
}

/**
 * The partner feed, and the rebuild guarantee: an empty store rebuilt from the topics equals the live one,
 * replaying onto a complete store changes nothing, and instances answer identically.
 */
describe('suppression: partner feed and rebuild from the topics', () => {
  let stack: Stack;
  let live: ServiceApp;
  let events: SourceEvents;
  const extra: ServiceApp[] = [];
  const run = randomBytes(4).toString('hex');
  const email = (name: string) => `${name}.${run}@example.fi`;
  let phoneCounter = 0;
  const phone = () => `+35845${String(Date.now() % 100000).padStart(5, '0')}${String(++phoneCounter).padStart(2, '0')}`;

  // The population of the test, with everything personal a feed must never carry.
  const person = {
    id: randomUUID(),
    emails: [email('matti.meikalainen')],
    phones: [phone()],
    name: `Matti Meikäläinen ${run}`,
  };
  const org = { id: randomUUID(), role: email('info'), contact: email('maija.contact'), name: `Testi Oy ${run}` };
  const erased = {
    id: randomUUID(),
    emails: [email('erased')],
    phones: [phone()],
    name: `Erkki Erased ${run}`,
    // a number held before a rectification, with a withdrawal recorded against it while held
    former: [{ phone: phone(), from: '2024-01-01T00:00:00.000Z', until: '2025-01-01T00:00:00.000Z' }],
  };
  const restricted = { id: randomUUID(), emails: [email('restricted')], name: `Riitta Restricted ${run}` };
  const banned = { id: randomUUID(), phones: [phone()], name: `Bertta Banned ${run}` };
  const bounced = email('bounced');
  const removed = email('removed');
  const bare = email('bare');
  const robinsonPhone = phone();
  let removedEntryId = '';
  const allEmails = () => [
    ...person.emails,
    org.role,
    org.contact,
    ...erased.emails,
    ...restricted.emails,
    bounced,
    removed,
    bare,
  ];
  const allPhones = () => [
    ...person.phones,
    ...erased.phones,
    ...erased.former.map((f) => f.phone),
    ...banned.phones,
    robinsonPhone,
  ];

  const staff = (app: ServiceApp | string) => request(typeof app === 'string' ? app : app.url);
  const digestOf = async (app: ServiceApp): Promise<Digest> =>
    (await staff(app).get('/v1/suppression/state/digest').set(bearer('admin')).expect(200)).body as Digest;

  /** Starts one more suppression instance in this process, with its own database and consumer group. */
  async function startInstance(dbPrefix: string, instanceId: string): Promise<ServiceApp> {
    const saved = { db: process.env.MONGODB_DB_PREFIX, id: process.env.SUPPRESSION_INSTANCE_ID };
    process.env.MONGODB_DB_PREFIX = dbPrefix;
    process.env.SUPPRESSION_INSTANCE_ID = instanceId;
    try {
      const { start } = (await import('../src/service')) as { start(port?: number): Promise<ServiceApp> };
      const app = await start(0);
      extra.push(app);
      return app;
    } finally {
      process.env.MONGODB_DB_PREFIX = saved.db;
      process.env.SUPPRESSION_INSTANCE_ID = saved.id;
    }
  }

  async function close(app: ServiceApp): Promise<void> {
    extra.splice(extra.indexOf(app), 1);
    await app.app.close();
  }

  /** Waits until the instance has caught up with everything published before this call, and is stable. */
  async function settledDigest(app: ServiceApp): Promise<Digest> {
    const since = Date.now();
    return eventually(
      async () => {
        const first = await digestOf(app);
        if (first.asOf === null || Date.parse(first.asOf) <= since || first.lag !== 0) return undefined;
        const second = await digestOf(app);
        return second.sha256 === first.sha256 && second;
      },
      30_000,
      'a settled state digest',
    );
  }

  const consent = (body: Record<string, unknown>) =>
    staff(stack.urls.consents)
      .post('/v1/consents')
      .set(bearer('staff'))
      .send({ source: 'web-form', ...body })
      .expect(201);

  beforeAll(async () => {
    stack = await startStack(['consents', 'suppression'], RELAXED_FRESHNESS);
    live = stack.apps.suppression!;
    events = new SourceEvents(live);

    await events.customer(person.id, { emails: person.emails, phones: person.phones, name: person.name });
    await events.customer(org.id, {
      kind: 'organization',
      emails: [org.role],
      contactPersonEmails: [org.contact],
      name: org.name,
    });
    await events.customer(erased.id, erased);
    await events.customer(restricted.id, { emails: restricted.emails, name: restricted.name });
    await events.customer(restricted.id, {
      emails: restricted.emails,
      name: restricted.name,
      restrictedSince: new Date().toISOString(),
    });
    await events.customer(banned.id, { phones: banned.phones, name: banned.name });
    await events.ban(banned.id, 'full');

    await consent({ customerId: person.id, channel: 'email', purpose: 'all', decision: 'grant' });
    await consent({ email: person.emails[0], channel: 'all', purpose: 'partner-marketing', decision: 'prohibit' });
    await consent({ email: org.role, channel: 'email', purpose: 'all', decision: 'withdraw' });
    await consent({ customerId: erased.id, channel: 'all', purpose: 'all', decision: 'grant' });
    await consent({ email: bare, channel: 'sms', purpose: 'profiling', decision: 'grant' });
    await consent({ email: bare, channel: 'all', purpose: 'all', decision: 'withdraw' });
    await consent({ phone: erased.former[0].phone, channel: 'phone', purpose: 'all', decision: 'withdraw' });
    await events.erased(erased.id, erased);

    const add = (body: Record<string, unknown>) =>
      staff(live).post('/v1/suppression/entries').set(bearer('staff')).send(body).expect(201);
    await add({ email: bounced, channel: 'email', reason: 'bounce' });
    removedEntryId = (await add({ email: removed, channel: 'all', reason: 'manual' })).body.id as string;
    await staff(live)
      .post('/v1/suppression/entries/import')
      .set(bearer('staff'))
      .set('content-type', 'application/x-ndjson')
      .send([JSON.stringify({ phone: robinsonPhone, channel: 'all', reason: 'robinson' })].join('\n'))
      .expect(201);

    // The last writes have reached the live instance.
    await eventuallyAnswer(live, { channel: 'email', purpose: 'own-marketing', email: erased.emails[0] }, (b) =>
      codes(b).includes('erased'),
    );
    await eventuallyAnswer(live, { channel: 'sms', purpose: 'profiling', email: bare }, (b) =>
      codes(b).includes('consent-withdrawn'),
    );
    // The former number's ledger went with the customer; its keyed hash stays as a tombstone (R8).
    await eventuallyAnswer(live, { channel: 'phone', purpose: 'own-marketing', phone: erased.former[0].phone }, (b) =>
      codes(b).includes('erased'),
    );
  });

  afterAll(async () => {
    for (const app of [...extra]) await app.app.close();
    await stack?.close();
  });

  describe('partner feed kielto.suppression.v1', () => {
    let consumer: Consumer | undefined;
    const latest = new Map<string, string | null>();
    const all: { key: string; value: string | null }[] = [];

    beforeAll(async () => {
      const kafka = new Kafka({
        clientId: 'suppression-feed-test',
        brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
        logLevel: logLevel.NOTHING,
      });
      consumer = kafka.consumer({ groupId: `${stack.prefix}.feed-test-${run}` });
      await consumer.connect();
      await consumer.subscribe({ topic: `${stack.prefix}.${TOPICS.suppression}`, fromBeginning: true });
      await consumer.run({
        eachMessage: ({ message }) => {
          const key = message.key?.toString('utf8') ?? '';
          const value = message.value === null ? null : message.value.toString('utf8');
          all.push({ key, value });
          latest.set(key, value);
          return Promise.resolve();
        },
      });
    });
    afterAll(() => consumer?.disconnect());

    const valueOf = (hash: string) => {
      const raw = latest.get(hash);
      return raw === undefined || raw === null
        ? raw
        : (JSON.parse(raw) as {
            kind: string;
            suppressions: { code: string; channel: string; purpose: string; since: string }[];
          });
    };

    it('publishes the current explicit suppressions of each identifier under its keyed hash', async () => {
      await eventually(
        () =>
          Promise.resolve(
            valueOf(emailHash(bounced)) &&
              valueOf(phoneHash(robinsonPhone)) &&
              valueOf(emailHash(erased.emails[0])) &&
              // published with its withdrawal first, then as the erased customer's tombstone
              valueOf(phoneHash(erased.former[0].phone))?.suppressions.some((s) => s.code === 'opt-out'),
          ),
        20_000,
        'feed values',
      );
      expect(valueOf(emailHash(bounced))).toEqual({
        specversion: '1.0',
        type: 'fi.kielto.suppression.current.v1',
        kind: 'email',
        suppressions: [{ code: 'bounce', channel: 'email', purpose: 'all', since: expect.any(String) }],
        updatedAt: expect.any(String),
      });
      expect(valueOf(emailHash(erased.emails[0]))).toMatchObject({
        suppressions: [{ code: 'opt-out', channel: 'all', purpose: 'all' }],
      });
      for (const number of [erased.phones[0], erased.former[0].phone]) {
        expect(valueOf(phoneHash(number))).toMatchObject({
          kind: 'phone',
          suppressions: [{ code: 'opt-out', channel: 'all', purpose: 'all' }],
        });
      }
      const robinson = valueOf(phoneHash(robinsonPhone))!;
      expect(robinson.suppressions).toEqual([
        { code: 'robinson', channel: 'phone', purpose: 'all', since: expect.any(String) },
        { code: 'robinson', channel: 'post', purpose: 'all', since: expect.any(String) },
      ]);
      // A prohibition recorded against one address applies to every identifier of its customer, and an objection
      // to partner-marketing also covers profiling for it (R5, v1.1).
      await eventually(
        () => Promise.resolve(valueOf(phoneHash(person.phones[0]))),
        20_000,
        'the person phone in the feed',
      );
      for (const hash of [emailHash(person.emails[0]), phoneHash(person.phones[0])]) {
        expect(valueOf(hash)!.suppressions).toEqual(
          ['email', 'phone', 'post', 'sms'].flatMap((channel) =>
            ['partner-marketing', 'profiling'].map((purpose) => ({
              code: 'prohibited',
              channel,
              purpose,
              since: expect.any(String),
            })),
          ),
        );
      }
      expect(valueOf(emailHash(restricted.emails[0]))!.suppressions).toEqual([
        { code: 'opt-out', channel: 'all', purpose: 'all', since: expect.any(String) },
      ]);
      expect(valueOf(emailHash(org.role))!.suppressions.map((s) => `${s.code}/${s.channel}/${s.purpose}`)).toEqual([
        'consent-withdrawn/email/all',
      ]);
      expect(
        valueOf(phoneHash(banned.phones[0]))!.suppressions.map((s) => `${s.code}/${s.channel}/${s.purpose}`),
      ).toEqual(['directory-ban/phone/partner-marketing', 'directory-ban/post/partner-marketing']);
    });

    it('writes a tombstone when nothing is suppressed any more', async () => {
      // The manual entry's value first. The entry is removed only after it is on the feed: an entry added and removed
      // within one coalescing window (while the instance catches up) nets to nothing and is rightly never published.
      await eventually(
        () => Promise.resolve(latest.get(emailHash(removed))?.includes('"manual"') === true),
        20_000,
        'the manual entry in the feed',
      );
      await staff(live).delete(`/v1/suppression/entries/${removedEntryId}`).set(bearer('staff')).expect(204);
      await eventually(
        () => Promise.resolve(latest.has(emailHash(removed)) && latest.get(emailHash(removed)) === null),
        20_000,
        'a tombstone',
      );
    });

    it('carries hashed keys and no e-mail address, phone number, name or customer id', () => {
      expect(all.length).toBeGreaterThan(5);
      const forbidden = [
        ...allEmails().flatMap((e) => [e, e.toUpperCase(), e.split('@')[0]]),
        ...allPhones().flatMap((p) => [p, p.replace('+358', '0'), p.slice(4)]),
        ...[person.name, org.name, erased.name, restricted.name, banned.name].flatMap((n) => [n, n.split(' ')[0]]),
        person.id,
        org.id,
        erased.id,
        restricted.id,
        banned.id,
      ];
      for (const message of all) {
        expect(message.key).toMatch(/^[0-9a-f]{64}$/);
        const text = `${message.key} ${message.value ?? ''}`;
        const leaked = forbidden.filter((f) => text.toLowerCase().includes(f.toLowerCase()));
        expect({ key: message.key, leaked }).toEqual({ key: message.key, leaked: [] });
        if (message.value !== null) {
          expect(Object.keys(JSON.parse(message.value) as object).sort()).toEqual([
            'kind',
            'specversion',
            'suppressions',
            'type',
            'updatedAt',
          ]);
        }
      }
    });
  });

  describe('rebuild', () => {
    it('rebuilds an empty store from the topics into exactly the live state, and answers identically', async () => {
      const liveDigest = await settledDigest(live);
      expect(liveDigest.counts).toMatchObject({
        customers: 5,
        erasedCustomers: 1,
        staffEntries: 2,
        removedStaffEntries: 1,
        directoryBans: 1,
      });

      const rebuilt = await startInstance(`${stack.prefix}-rebuild`, `${stack.prefix}-rebuild`);
      expect(rebuilt.url).not.toBe(live.url);
      const rebuiltDigest = await eventually(
        async () => {
          const d = await digestOf(rebuilt);
          return d.sha256 === liveDigest.sha256 && d;
        },
        30_000,
        'the rebuilt digest to equal the live one',
      );
      expect(rebuiltDigest.counts).toEqual(liveDigest.counts);

      const contacts = [
        ...allEmails().map((e) => ({ ref: e, email: e })),
        ...allPhones().map((p) => ({ ref: p, phone: p })),
        ...[person.id, org.id, erased.id, restricted.id, banned.id].map((id) => ({ ref: id, customerId: id })),
      ];
      for (const channel of ['email', 'sms', 'phone', 'post']) {
        for (const purpose of ['own-marketing', 'partner-marketing', 'profiling', 'market-research']) {
          // A 503 (state momentarily older than the staleness bound on a busy host) is a refusal, not an answer: ask again.
          const ask = (app: ServiceApp) =>
            eventually(
              async () => {
                const res = await staff(app)
                  .post('/v1/suppression/check')
                  .set(bearer('marketing'))
                  .send({ channel, purpose, contacts });
                if (res.status !== 503) expect(res.status).toBe(200);
                return res.status === 200 && res;
              },
              30_000,
              'a fresh answer',
            );
          const [a, b] = await Promise.all([ask(live), ask(rebuilt)]);
          expect(b.body.results).toEqual(a.body.results);
        }
      }
    });

    it('loads cold from its snapshot into the same state, and replaying every topic onto it changes nothing', async () => {
      const liveDigest = await settledDigest(live);
      const rebuilt = extra[0];
      // A graceful stop writes a snapshot of what the instance holds, with the topic positions it includes.
      await close(rebuilt);
      const db = await MongoClient.connect(MONGODB_URI);
      try {
        const snapshots = db.db(`${stack.prefix}-rebuild-suppression`).collection<{ _id: string }>('snapshots');
        const head = await snapshots.findOne({ _id: `head:${stack.prefix}-rebuild` });
        expect(head).toMatchObject({
          number: expect.any(Number),
          chunks: expect.any(Number),
          positions: expect.any(Array),
        });
        expect((head as unknown as { positions: unknown[] }).positions.length).toBeGreaterThan(0);

        // Same instance: starts from the snapshot and consumes only what came after it.
        const cold = await startInstance(`${stack.prefix}-rebuild`, `${stack.prefix}-rebuild`);
        const coldDigest = await settledDigest(cold);
        expect(coldDigest.sha256).toBe(liveDigest.sha256);
        expect(coldDigest.counts).toEqual(liveDigest.counts);
        await close(cold);

        // The snapshot without its positions: the instance loads the complete state, then every event of every
        // topic is delivered to it a second time.
        await snapshots.updateOne({ _id: `head:${stack.prefix}-rebuild` }, { $set: { positions: [] } });
        const replayed = await startInstance(`${stack.prefix}-rebuild`, `${stack.prefix}-rebuild`);
        const replayedDigest = await settledDigest(replayed);
        expect(replayedDigest.sha256).toBe(liveDigest.sha256);
        expect(replayedDigest.counts).toEqual(liveDigest.counts);
      } finally {
        await db.close();
      }
    });

    it('keeps instances in step: an entry added on one instance reaches the other', async () => {
      const other = extra[0];
      const address = email('cross-instance');
      const created = await staff(other)
        .post('/v1/suppression/entries')
        .set(bearer('staff'))
        .send({ email: address, channel: 'email', reason: 'complaint' })
        .expect(201);
      await eventuallyAnswer(live, { channel: 'email', purpose: 'own-marketing', email: address }, (b) =>
        codes(b).includes('complaint'),
      );
      await staff(live)
        .delete(`/v1/suppression/entries/${created.body.id as string}`)
        .set(bearer('staff'))
        .expect(204);
      await eventually(
        async () => {
          const res = await staff(other)
            .get('/v1/suppression/check')
            .query({ channel: 'email', purpose: 'own-marketing', email: address })
            .set(bearer('marketing'));
          return res.status === 200 && !codes(res.body).includes('complaint');
        },
        20_000,
        'the removal to reach the other instance',
      );
      const [a, b] = await Promise.all([settledDigest(live), settledDigest(other)]);
      expect(b.sha256).toBe(a.sha256);
    });
  });
});
