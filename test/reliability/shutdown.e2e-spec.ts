import { randomInt, randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import mongoose from 'mongoose';
import { http, HttpResult } from '../faults/lib/http';
import { freePort, ServiceProcess } from '../faults/lib/service-process';
import {
  API_KEYS_SETTING,
  UNLIMITED_ACCESS,
  bearer,
  dropDatabases,
  eventually,
  PARTNER_HASH_KEY,
} from '../support/stack';

/**
 * Graceful shutdown (issue 8), with the services as real OS processes receiving a real SIGTERM under load:
 * requests already accepted are answered (no connection resets), every acknowledged write is on Kafka (the outbox
 * is flushed), the process exits on its own, and a consumer's committed offsets let a restarted instance carry on
 * with nothing lost.
 */
const brokers = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
const mongoUri = process.env.MONGODB_URI ?? 'mongodb://127.0.0.1:27017/?directConnection=true&retryWrites=false';
/** Requests sent this long before the signal are certainly accepted by the server (read and being processed). */
const ACCEPTED_MARGIN_MS = 300;

interface Outcome extends HttpResult<{ entryId?: string }> {
  kind: 'write' | 'check';
}

describe('reliability: SIGTERM drains a service under load without losing a request', () => {
  const prefix = `t${Date.now().toString(36)}${randomUUID().slice(0, 4)}`;
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.KIELTO_TEST_SERVICE_LOG_LEVEL ?? 'warn',
    KAFKA_BROKERS: brokers,
    MONGODB_URI: mongoUri,
    MONGODB_DB_PREFIX: prefix,
    KAFKA_TOPIC_PREFIX: `${prefix}.`,
    KIELTO_API_KEYS: API_KEYS_SETTING,
    ...UNLIMITED_ACCESS,
    KIELTO_PARTNER_HASH_KEY: PARTNER_HASH_KEY,
    SUPPRESSION_INSTANCE_ID: `${prefix}-a`,
  };
  const logDir = path.join(tmpdir(), `kielto-shutdown-${prefix}`);
  let consents: ServiceProcess;
  let suppression: ServiceProcess;
  const kafka = new Kafka({ brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const emails = Array.from({ length: 40 }, (_, i) => `shutdown.${prefix}.${i}@example.fi`);
  const acknowledged = new Set<string>();
  let lastAckAt = 0;

  /** Concurrent writers (consents) and checkers (suppression) until `stop()`; every outcome is kept. */
  function load(stop: () => boolean, writers: number, checkers: number): Promise<Outcome[]> {
    const outcomes: Outcome[] = [];
    const writer = async () => {
      while (!stop()) {
        const res = await http<{ entryId?: string }>('POST', `${consents.url}/v1/consents`, {
          headers: bearer('staff'),
          body: {
            email: emails[randomInt(emails.length)],
            channel: ['email', 'sms', 'phone', 'all'][randomInt(4)],
            purpose: ['own-marketing', 'partner-marketing', 'all'][randomInt(3)],
            decision: ['grant', 'withdraw', 'prohibit', 'lift-prohibition'][randomInt(4)],
            source: 'shutdown-test',
          },
        });
        outcomes.push({ ...res, kind: 'write' });
        if (res.status === 201 && res.body.entryId) {
          acknowledged.add(res.body.entryId);
          lastAckAt = Math.max(lastAckAt, res.receivedAt);
        }
        if (res.status !== 201) await new Promise((r) => setTimeout(r, 50));
      }
    };
    const checker = async () => {
      while (!stop()) {
        const query = new URLSearchParams({
          channel: 'email',
          purpose: 'own-marketing',
          email: emails[randomInt(emails.length)],
        });
        const res = await http('GET', `${suppression.url}/v1/suppression/check?${query.toString()}`, {
          headers: bearer('marketing'),
        });
        outcomes.push({ ...res, kind: 'check' } as Outcome);
        if (res.status !== 200) await new Promise((r) => setTimeout(r, 50));
      }
    };
    return Promise.all([...Array.from({ length: writers }, writer), ...Array.from({ length: checkers }, checker)]).then(
      () => outcomes,
    );
  }

  /**
   * A write certainly in flight at the signal: its headers and half its body reach the server before, the rest
   * after. Resolves with the status and entry id once the body is completed with `finish()`.
   */
  function slowWrite(email: string): { finish: () => void; result: Promise<{ status: number; entryId?: string }> } {
    const body = Buffer.from(
      JSON.stringify({ email, channel: 'email', purpose: 'all', decision: 'withdraw', source: 'shutdown-test' }),
    );
    const req = httpRequest(`${consents.url}/v1/consents`, {
      method: 'POST',
      headers: { ...bearer('staff'), 'content-type': 'application/json', 'content-length': String(body.length) },
    });
    const result = new Promise<{ status: number; entryId?: string }>((resolve) => {
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let entryId: string | undefined;
          try {
            entryId = (JSON.parse(text) as { entryId?: string }).entryId;
          } catch {
            entryId = undefined;
          }
          resolve({ status: res.statusCode ?? 0, entryId });
        });
      });
      req.on('error', () => resolve({ status: 0 }));
    });
    req.flushHeaders();
    req.write(body.subarray(0, body.length >> 1));
    return { finish: () => req.end(body.subarray(body.length >> 1)), result };
  }

  /** Every consent entry id on the topic, read from offset 0. */
  async function entryIdsOnKafka(): Promise<Set<string>> {
    const topic = `${prefix}.kielto.consents.v1`;
    const admin = kafka.admin();
    await admin.connect();
    const ends = await admin.fetchTopicOffsets(topic);
    await admin.disconnect();
    const remaining = new Set(ends.filter((o) => Number(o.high) > 0).map((o) => o.partition));
    const ids = new Set<string>();
    const consumer = kafka.consumer({ groupId: `${prefix}-reader-${randomUUID()}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: ({ partition, message }) => {
        const event = JSON.parse(message.value!.toString('utf8')) as { data: { entryId: string } };
        ids.add(event.data.entryId);
        const high = ends.find((o) => o.partition === partition)!.high;
        if (Number(message.offset) + 1 >= Number(high)) remaining.delete(partition);
        return Promise.resolve();
      },
    });
    await eventually(() => Promise.resolve(remaining.size === 0), 30_000, 'the whole consents topic to be read');
    await consumer.disconnect();
    return ids;
  }

  /** Requests sent well before the signal must have been answered; only later ones may meet a closed socket. */
  function expectAcceptedAnswered(outcomes: Outcome[], kind: Outcome['kind'], signalAt: number, okStatuses: number[]) {
    const accepted = outcomes.filter(
      (o) => o.kind === kind && o.sentAt < signalAt - ACCEPTED_MARGIN_MS && o.receivedAt >= signalAt,
    );
    const failed = accepted.filter((o) => !okStatuses.includes(o.status));
    expect(failed.map((o) => `${o.status} ${o.error ?? ''}`)).toEqual([]);
    return accepted.length;
  }

  beforeAll(async () => {
    const [cPort, sPort] = [await freePort(), await freePort()];
    consents = new ServiceProcess({ name: 'consents', port: cPort, env, logDir, mode: 'ts-node' });
    suppression = new ServiceProcess({ name: 'suppression', port: sPort, env, logDir, mode: 'ts-node' });
    consents.start();
    suppression.start();
    await Promise.all([consents.waitReady(120_000), suppression.waitReady(120_000)]);
  }, 180_000);

  afterAll(async () => {
    await Promise.allSettled([consents?.close(), suppression?.close()]);
    await dropDatabases(prefix);
  });

  it('consents: in-flight requests finish, every acknowledged write is on Kafka, the outbox is empty, exit on its own', async () => {
    let stop = false;
    const running = load(() => stop, 16, 0);
    await eventually(() => Promise.resolve(acknowledged.size >= 30), 60_000, 'the load to get going');
    // Requests the server is reading when the signal comes, however fast the others are answered.
    const slow = emails.slice(0, 3).map((email) => slowWrite(email));
    await new Promise((r) => setTimeout(r, ACCEPTED_MARGIN_MS));
    const signalAt = Date.now();
    const exiting = consents.stop('SIGTERM', 30_000);
    await new Promise((r) => setTimeout(r, 200));
    for (const s of slow) s.finish();
    const slowResults = await Promise.all(slow.map((s) => s.result));
    const exit = await exiting;
    const exitMs = Date.now() - signalAt;
    stop = true;
    const outcomes = await running;
    expect(slowResults.map((r) => r.status)).toEqual([201, 201, 201]);
    for (const r of slowResults) acknowledged.add(r.entryId!);

    expect(exit.signal === 'SIGTERM' || exit.code === 0).toBe(true);
    expect(exitMs).toBeLessThan(20_000);
    // Requests being processed when the signal came were answered with 201, not reset.
    expectAcceptedAnswered(outcomes, 'write', signalAt, [201]);
    // The outbox was flushed: every acknowledged entry, including the last ones before the signal, is on Kafka.
    const onKafka = await entryIdsOnKafka();
    expect([...acknowledged].filter((id) => !onKafka.has(id))).toEqual([]);
    const db = await mongoose.createConnection(mongoUri, { dbName: `${prefix}-consents` }).asPromise();
    try {
      // Nothing marked pending (event_pending holds one marker per event not yet on Kafka).
      expect(await db.collection('event_pending').countDocuments({})).toBe(0);
    } finally {
      await db.close();
    }
  }, 180_000);

  it('suppression: answers accepted checks, commits its offsets, and a restart of the same instance loses nothing', async () => {
    consents.start();
    await consents.waitReady(120_000);
    let stop = false;
    const running = load(() => stop, 6, 8);
    await eventually(() => Promise.resolve(acknowledged.size >= 80), 60_000, 'more writes');
    const signalAt = Date.now();
    const exit = await suppression.stop('SIGTERM', 30_000);
    const exitMs = Date.now() - signalAt;
    expect(exit.signal === 'SIGTERM' || exit.code === 0).toBe(true);
    expect(exitMs).toBeLessThan(20_000);

    // Its consumer group committed offsets on every partition it had consumed.
    const admin = kafka.admin();
    await admin.connect();
    const topic = `${prefix}.kielto.consents.v1`;
    const [committed] = await admin.fetchOffsets({
      groupId: `${prefix}.kielto-suppression-${prefix}-a`,
      topics: [topic],
    });
    const ends = await admin.fetchTopicOffsets(topic);
    await admin.disconnect();
    for (const p of committed.partitions) {
      const high = Number(ends.find((e) => e.partition === p.partition)!.high);
      if (high > 0) expect(Number(p.offset)).toBeGreaterThan(0);
      expect(Number(p.offset)).toBeLessThanOrEqual(high);
    }

    // Writes go on while it is down; the same instance (same group) restarts and catches up from its offsets.
    suppression.start();
    await suppression.waitReady(120_000);
    stop = true;
    const outcomes = await running;
    expectAcceptedAnswered(outcomes, 'check', signalAt, [200, 503]);

    const onKafka = await entryIdsOnKafka();
    expect([...acknowledged].filter((id) => !onKafka.has(id))).toEqual([]);
    const digest = await eventually(
      async () => {
        const res = await http<{ asOf: string | null; lag: number; counts: { ledgerEntries: number } }>(
          'GET',
          `${suppression.url}/v1/suppression/state/digest`,
          { headers: bearer('admin') },
        );
        return (
          res.status === 200 &&
          res.body.asOf !== null &&
          Date.parse(res.body.asOf) > lastAckAt &&
          res.body.lag === 0 &&
          res.body
        );
      },
      60_000,
      'the restarted instance to catch up',
    );
    // Every entry on the topic (each acknowledged one among them) is held exactly once.
    expect(digest.counts.ledgerEntries).toBe(onKafka.size);
  }, 240_000);
});
