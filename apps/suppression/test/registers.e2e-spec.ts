import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../../../cli/main';
import request from 'supertest';
import type { ServiceApp } from '@kielto/platform';
import { bearer, eventually, KEYS, startStack, Stack } from '../../../test/support/stack';
import { check, codes, eventuallyAnswer, SourceEvents, untilFresh, RELAXED_FRESHNESS } from './support/source-events';

interface Digest {
  sha256: string;
  counts: Record<string, number>;
  asOf: string | null;
  lag: number;
}

const DAY_MS = 86_400_000;
const daysAgo = (n: number) => new Date(Date.now() - n * DAY_MS).toISOString().slice(0, 10);

/**
 * ASML's Robinson phone register, kept in sync as full snapshots (docs/CONTRACT.md §3.9): the import's diff and
 * answer, the decision (phone only, every purpose but own-marketing to an active customer, reason `robinson` with the
 * register and its date), the stale-register refusal, bad input, and the rebuild of another instance from the topic.
 */
describe('suppression: ASML registers as synced snapshots', () => {
  let stack: Stack;
  let live: ServiceApp;
  let events: SourceEvents;
  const extra: ServiceApp[] = [];
  const run = randomBytes(3).toString('hex');
  let n = 0;
  // 040 numbers: the run id picked the digit after the 4 before, and normalisePhone refuses +358 49… (not a range
  // libphonenumber knows as valid), which failed the whole file in about one run in ten.
  const phone = () => `+35840${String(parseInt(run, 16) % 10000).padStart(4, '0')}${String(++n).padStart(3, '0')}`;
  const [p1, p2, p3, p4, bare] = [phone(), phone(), phone(), phone(), phone()];
  const customerId = randomUUID();

  const api = (app: ServiceApp = live) => request(app.url);
  const put = (body: string, date: string, type = 'application/x-ndjson', register = 'asml-phone') =>
    api()
      .put(`/v1/suppression/registers/${register}`)
      .set(bearer('staff'))
      .set('content-type', type)
      .set('x-register-date', date)
      .send(body);
  const ndjson = (phones: string[]) => phones.map((p) => JSON.stringify({ phone: p })).join('\n') + '\n';
  const digestOf = async (app: ServiceApp): Promise<Digest> =>
    (await api(app).get('/v1/suppression/state/digest').set(bearer('admin')).expect(200)).body as Digest;
  const ask = (number: string, purpose = 'partner-marketing', channel = 'phone') =>
    check(live, { channel, purpose, phone: number });

  beforeAll(async () => {
    stack = await startStack(['suppression'], RELAXED_FRESHNESS);
    live = stack.apps.suppression!;
    events = new SourceEvents(live);
    await untilFresh(live);
    await events.customer(customerId, { phones: [p2], activeContract: true });
    // Soft opt-in (R2) allows own SMS marketing to the active customer: the customer event is in.
    await eventuallyAnswer(
      live,
      { channel: 'sms', purpose: 'own-marketing', phone: p2 },
      (b) => b.decision === 'allow',
    );
  });
  afterAll(async () => {
    for (const app of extra) await app.app.close();
    await stack?.close();
  });

  it('refuses bad input: unknown register 404, bad date 400, malformed rows 400 by line with nothing imported', async () => {
    const unknown = await put(ndjson([p1]), daysAgo(1), 'application/x-ndjson', 'asml-email');
    expect(unknown.status).toBe(404);
    const badDate = await put(ndjson([p1]), '2026-02-30');
    expect(badDate.status).toBe(400);
    expect(badDate.body.errors[0].field).toBe('X-Register-Date');
    const future = await put(ndjson([p1]), new Date(Date.now() + 3 * DAY_MS).toISOString().slice(0, 10));
    expect(future.status).toBe(400);
    const bad = await put(
      `${JSON.stringify({ phone: p1 })}\nnot json\n{"phone":"12"}\n{"phone":"${p3}","x":1}\n`,
      daysAgo(1),
    );
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([
      { line: 2, field: 'line 2', message: 'line is not valid JSON' },
      { line: 3, field: 'phone', message: 'phone must be a valid phone number' },
      { line: 4, field: 'x', message: 'property x should not exist' },
    ]);
    const csv = await put(`phone,email\n${p1},a@b.fi\n`, daysAgo(1), 'text/csv');
    expect(csv.status).toBe(400);
    expect(csv.body.errors[0]).toEqual({ line: 1, field: 'email', message: 'column email should not exist' });
    const listed = await api().get('/v1/suppression/registers').set(bearer('staff')).expect(200);
    expect(listed.body).toContainEqual({ register: 'asml-phone', date: null, ageDays: null, overdue: false, rows: 0 });
  });

  it('an overdue register refuses non-customers on its channel (503, Retry-After) and nobody else', async () => {
    const old = await put(ndjson([p3]), daysAgo(40));
    expect(old.status).toBe(200);
    const refused = await eventually(
      async () => {
        const res = await ask(bare);
        return res.status === 503 && res;
      },
      20_000,
      'a 503 for a non-customer',
    );
    expect(refused.headers['retry-after']).toBeDefined();
    expect(refused.body.type).toMatch(/stale-register/);
    expect(refused.body.detail).toContain('asml-phone');
    // The customer's own number, and other channels, are answered.
    expect((await ask(p2)).status).toBe(200);
    expect((await ask(bare, 'partner-marketing', 'sms')).status).toBe(200);
    const bulk = await api()
      .post('/v1/suppression/check')
      .set(bearer('marketing'))
      .send({ channel: 'phone', purpose: 'partner-marketing', contacts: [{ phone: bare }] });
    expect(bulk.status).toBe(503);
    const health = await api().get('/health/ready').expect(200);
    expect(JSON.stringify(health.body)).toContain('asml-phone');
    const metrics = await api().get('/metrics').expect(200);
    expect(metrics.text).toMatch(/kielto_suppression_register_overdue\{[^}]*register="asml-phone"[^}]*\} 1/);
  });

  it('a snapshot makes the register hold exactly its rows; robinson names the register and its date', async () => {
    const d1 = daysAgo(3);
    const first = await put(ndjson([p1, p2, p3, p1]), d1);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({
      register: 'asml-phone',
      registerDate: d1,
      rows: 3,
      added: 2,
      removed: 0,
      unchanged: 1,
      repeated: 1,
      inputSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    const answer = await eventuallyAnswer(live, { channel: 'phone', purpose: 'partner-marketing', phone: p1 }, (b) =>
      codes(b).includes('robinson'),
    );
    expect(answer.body.reasons).toEqual([
      {
        code: 'robinson',
        rule: 'R4',
        source: expect.any(String),
        since: `${d1}T00:00:00.000Z`,
        register: 'asml-phone',
        registerDate: d1,
      },
    ]);
    // p3 was first seen in the old snapshot and keeps that date.
    expect((await ask(p3)).body.reasons[0].since).toBe(`${daysAgo(40)}T00:00:00.000Z`);
    expect((await ask(bare)).status).toBe(200);
    // Post is not the phone register's channel; own-marketing to an active customer is spared (R2's test, R4).
    expect((await ask(p1, 'partner-marketing', 'post')).body.decision).toBe('allow');
    expect((await ask(p2, 'own-marketing')).body.decision).toBe('allow');
    expect(codes((await ask(p2, 'market-research')).body)).toEqual(['robinson']);
    const byCustomer = await check(live, { channel: 'phone', purpose: 'partner-marketing', customerId });
    expect(codes(byCustomer.body)).toEqual(['robinson']);

    // The same file again changes nothing: no event, the same digest.
    const before = await digestOf(live);
    const again = await put(ndjson([p1, p2, p3, p1]), d1);
    expect(again.body).toMatchObject({
      rows: 3,
      added: 0,
      removed: 0,
      unchanged: 3,
      inputSha256: first.body.inputSha256,
    });
    expect((await digestOf(live)).sha256).toBe(before.sha256);

    // An older snapshot is refused.
    const older = await put(ndjson([p1]), daysAgo(4));
    expect(older.status).toBe(409);

    // A newer snapshot (CSV): p1 leaves, p4 comes; p2 and p3 keep their first-seen dates.
    const d2 = daysAgo(1);
    const second = await put(`phone\r\n"${p2}"\r\n${p3}\r\n${p4}\r\n`, d2, 'text/csv');
    expect(second.body).toMatchObject({ rows: 3, added: 1, removed: 1, unchanged: 2 });
    await eventuallyAnswer(
      live,
      { channel: 'phone', purpose: 'partner-marketing', phone: p1 },
      (b) => b.decision === 'allow',
    );
    const p4Answer = await ask(p4);
    expect(p4Answer.body.reasons[0]).toMatchObject({ since: `${d2}T00:00:00.000Z`, registerDate: d2 });
    expect((await ask(p2, 'market-research')).body.reasons[0]).toMatchObject({
      since: `${d1}T00:00:00.000Z`,
      registerDate: d2,
    });

    // The import's audit record carries the summary (records are written in batches).
    await eventually(
      async () => {
        const audit = await api().get('/v1/audit').query({ limit: 50 }).set(bearer('admin')).expect(200);
        const records = audit.body as { route: string; details?: Record<string, unknown> }[];
        return records.some((r) => JSON.stringify(r.details) === JSON.stringify(second.body));
      },
      10_000,
      'the audit record of the snapshot with its summary',
    );
  });

  it('the CLI streams a snapshot file and prints the summary; bad rows exit 65 with their lines', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kielto-register-'));
    const file = path.join(dir, 'robinson-phone.csv');
    writeFileSync(file, `phone\n${p2}\n${p3}\n${p4}\n`);
    const saved = { url: process.env.KIELTO_URL_SUPPRESSION, key: process.env.KIELTO_API_KEY };
    process.env.KIELTO_URL_SUPPRESSION = live.url;
    process.env.KIELTO_API_KEY = KEYS.staff;
    const out = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const err = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const code = await main(['node', 'kielto', 'register', 'asml-phone', file, '--date', daysAgo(0), '--json']);
      expect(code).toBe(0);
      const printed = out.mock.calls.map(([text]) => String(text)).join('');
      expect(JSON.parse(printed)).toMatchObject({
        register: 'asml-phone',
        rows: 3,
        added: 0,
        removed: 0,
        unchanged: 3,
      });
      writeFileSync(file, `phone\n${p2}\nnot-a-number\n`);
      expect(await main(['node', 'kielto', 'register', 'asml-phone', file, '--date', daysAgo(0)])).toBe(65);
      expect(err.mock.calls.map(([text]) => String(text)).join('')).toContain('line 3: phone');
    } finally {
      out.mockRestore();
      err.mockRestore();
      process.env.KIELTO_URL_SUPPRESSION = saved.url;
      process.env.KIELTO_API_KEY = saved.key;
    }
  });

  it('asml-post: a snapshot of names and addresses; checks by postal identity (single, bulk, stream) match it normalised', async () => {
    const street = `Hämeenk. ${parseInt(run, 16) % 900} as. 5`;
    const rows = [
      { name: 'Virtanen Matti', street, postalCode: '33100', city: 'Tampere' },
      { name: 'Öberg Åsa', street: 'Åkerlundinkatu 8 A-rappu 12', postalCode: '33100' },
    ];
    const d = daysAgo(2);
    const imported = await put(
      `name,street,postalCode,city\n${rows.map((r) => [r.name, r.street, r.postalCode, r.city ?? ''].map((c) => `"${c}"`).join(',')).join('\n')}\n`,
      d,
      'text/csv',
      'asml-post',
    );
    expect(imported.status).toBe(200);
    expect(imported.body).toMatchObject({ register: 'asml-post', rows: 2, added: 2 });
    // The same person and address, typed otherwise: matched (city is not part of the identity).
    const typedOtherwise = {
      channel: 'post',
      purpose: 'partner-marketing',
      name: 'matti VIRTANEN',
      street: street.replace('Hämeenk.', 'Hämeenkatu').replace('as.', 'asunto'),
      postalCode: '33100',
    };
    const single = await eventuallyAnswer(live, typedOtherwise, (b) => b.decision === 'suppress');
    expect(single.body.reasons).toEqual([
      expect.objectContaining({
        code: 'robinson',
        register: 'asml-post',
        registerDate: d,
        since: `${d}T00:00:00.000Z`,
      }),
    ]);
    expect((await check(live, { ...typedOtherwise, channel: 'phone' })).body.decision).toBe('allow');
    expect((await check(live, { ...typedOtherwise, postalCode: '33200' })).body.decision).toBe('allow');
    const bad = await check(live, { channel: 'post', purpose: 'own-marketing', name: 'X', street: 'Kauppakatu' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field)).toEqual(['street', 'postalCode']);

    const contacts = [
      { ref: 1, name: 'Åsa Öberg', street: 'åkerlundinkatu 8 a 12', postalCode: '33100' },
      { ref: 2, name: 'Åsa Öberg', street: 'åkerlundinkatu 8 a 13', postalCode: '33100' },
    ];
    const bulk = await api()
      .post('/v1/suppression/check')
      .set(bearer('marketing'))
      .send({ channel: 'post', purpose: 'partner-marketing', contacts });
    expect(bulk.body.results.map((r: { decision: string }) => r.decision)).toEqual(['suppress', 'allow']);
    const stream = await api()
      .post('/v1/suppression/check/stream')
      .query({ channel: 'post', purpose: 'market-research' })
      .set(bearer('marketing'))
      .set('content-type', 'application/x-ndjson')
      .send(contacts.map((c) => JSON.stringify(c)).join('\n'));
    expect(
      stream.text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).decision),
    ).toEqual(['suppress', 'allow']);
    // A partner may not send a postal identity in clear.
    expect((await check(live, typedOtherwise, 'partner')).status).toBe(403);
  });

  it('another instance rebuilt from the topics holds the same registers (digest) and answers alike', async () => {
    const liveDigest = await digestOf(live);
    expect(liveDigest.counts.registerRows).toBe(5);
    const saved = { db: process.env.MONGODB_DB_PREFIX, id: process.env.SUPPRESSION_INSTANCE_ID };
    process.env.MONGODB_DB_PREFIX = `${stack.prefix}-rebuild`;
    process.env.SUPPRESSION_INSTANCE_ID = `${stack.prefix}-rebuild`;
    let rebuilt: ServiceApp;
    try {
      const { start } = (await import('../src/service')) as { start(port?: number): Promise<ServiceApp> };
      rebuilt = await start(0);
      extra.push(rebuilt);
    } finally {
      process.env.MONGODB_DB_PREFIX = saved.db;
      process.env.SUPPRESSION_INSTANCE_ID = saved.id;
    }
    await eventually(
      async () => (await digestOf(rebuilt)).sha256 === liveDigest.sha256,
      30_000,
      'the rebuilt digest to equal the live one',
    );
    const answer = await check(rebuilt, { channel: 'phone', purpose: 'partner-marketing', phone: p4 });
    expect(answer.body).toEqual({ ...(await ask(p4)).body, asOf: expect.any(String) });
  });
});
