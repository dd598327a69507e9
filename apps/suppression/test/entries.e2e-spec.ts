import { randomBytes, randomUUID } from 'node:crypto';
import request from 'supertest';
import type { ServiceApp } from '@kielto/platform';
import { bearer, startStack, Stack } from '../../../test/support/stack';
import {
  check,
  codes,
  emailHash,
  phoneHash,
  SourceEvents,
  untilFresh,
  RELAXED_FRESHNESS,
} from './support/source-events';

describe('suppression: staff entries (bounce, complaint, robinson, manual)', () => {
  let stack: Stack;
  let suppression: ServiceApp;
  let events: SourceEvents;
  const run = randomBytes(4).toString('hex');
  const email = (name: string | number) => `${name}.${run}@example.fi`;
  let phoneCounter = 0;
  const phone = () => `+35850${String(Date.now() % 100000).padStart(5, '0')}${String(++phoneCounter).padStart(2, '0')}`;

  const api = () => request(stack.urls.suppression);
  const add = (body: Record<string, unknown>) => api().post('/v1/suppression/entries').set(bearer('staff')).send(body);
  const list = (query: Record<string, string>) =>
    api().get('/v1/suppression/entries').query(query).set(bearer('staff'));
  const importLines = (lines: string[]) =>
    api()
      .post('/v1/suppression/entries/import')
      .set(bearer('staff'))
      .set('content-type', 'application/x-ndjson')
      .send(lines.join('\n'));

  beforeAll(async () => {
    stack = await startStack(['suppression'], RELAXED_FRESHNESS);
    suppression = stack.apps.suppression!;
    events = new SourceEvents(suppression);
    await untilFresh(suppression);
  });
  afterAll(() => stack?.close());

  it('adds, lists and removes an entry; only the hash is returned and stored', async () => {
    const address = email('manual');
    const created = await add({ email: `  ${address.toUpperCase()} `, channel: 'all', reason: 'manual' });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.any(String),
      kind: 'email',
      reason: 'manual',
      channel: 'all',
      since: expect.any(String),
      hash: emailHash(address),
    });
    expect(JSON.stringify(created.body)).not.toContain(address);
    expect(codes((await check(suppression, { channel: 'post', purpose: 'profiling', email: address })).body)).toEqual([
      'manual',
    ]);

    // Adding the same entry again changes nothing: the one held is returned.
    const again = await add({ email: address, channel: 'all', reason: 'manual' });
    expect(again.body.id).toBe(created.body.id);
    expect((await list({ email: address })).body).toEqual([created.body]);

    expect((await api().delete(`/v1/suppression/entries/${created.body.id}`).set(bearer('staff'))).status).toBe(204);
    expect((await check(suppression, { channel: 'post', purpose: 'profiling', email: address })).body.decision).toBe(
      'allow',
    );
    expect((await list({ email: address })).body).toEqual([]);
    const gone = await api().delete(`/v1/suppression/entries/${created.body.id}`).set(bearer('staff'));
    expect(gone.status).toBe(404);
    expect(gone.headers['content-type']).toMatch(/application\/problem\+json/);
    expect((await api().delete(`/v1/suppression/entries/${randomUUID()}`).set(bearer('staff'))).status).toBe(404);
  });

  it('lists every entry of every identifier of a customer (for the data-subject export)', async () => {
    const customerId = randomUUID();
    const address = email('customer');
    const number = phone();
    await events.customer(customerId, { emails: [address], phones: [number] });
    const bounce = await add({ email: address, channel: 'email', reason: 'bounce' });
    const robinson = await add({ phone: number, channel: 'all', reason: 'robinson' });
    await add({ email: email('someone-else'), channel: 'email', reason: 'complaint' });

    const byCustomer = await (async () => {
      for (let i = 0; i < 200; i++) {
        const res = await list({ customerId });
        if (res.body.length === 2) return res;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error('customer never arrived');
    })();
    expect(byCustomer.body).toEqual(expect.arrayContaining([bounce.body, robinson.body]));
    expect((await list({ phone: number.replace('+358', '0') })).body).toEqual([robinson.body]);
    expect((await list({ customerId: randomUUID() })).body).toEqual([]);
    expect((await list({})).status).toBe(400);
    expect((await api().get('/v1/suppression/entries').query({ customerId }).set(bearer('marketing'))).status).toBe(
      403,
    );
  });

  it('rejects entries that make no sense: bounce or complaint off e-mail, bad identifiers, unknown fields', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ email: email('b'), channel: 'sms', reason: 'bounce' }, 'channel'],
      [{ phone: phone(), channel: 'all', reason: 'complaint' }, 'phone'],
      [{ email: 'nope', channel: 'email', reason: 'bounce' }, 'email'],
      [{ channel: 'email', reason: 'manual' }, 'email'],
      [{ email: email('c'), phone: phone(), channel: 'email', reason: 'manual' }, 'email'],
      [{ email: email('d'), channel: 'fax', reason: 'manual' }, 'channel'],
      [{ email: email('e'), channel: 'email', reason: 'spite' }, 'reason'],
      [{ email: email('f'), channel: 'email', reason: 'manual', note: 'x' }, 'note'],
    ];
    for (const [body, field] of cases) {
      const res = await add(body);
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
      expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    }
    expect((await api().post('/v1/suppression/entries').set(bearer('marketing')).send(cases[0][0])).status).toBe(403);
  });

  it('imports an NDJSON list all-or-nothing: one bad line and nothing is written', async () => {
    const numbers = Array.from({ length: 5 }, () => phone());
    const lines = numbers.map((n) => JSON.stringify({ phone: n, channel: 'all', reason: 'robinson' }));
    const bad = [
      ...lines.slice(0, 2),
      '{"phone": "12", "channel": "all", "reason": "robinson"}',
      ...lines.slice(2),
      'not json',
    ];
    const refused = await importLines(bad);
    expect(refused.status).toBe(400);
    expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(refused.body).toMatchObject({
      imported: 0,
      errors: [
        { line: 3, field: 'phone', message: 'phone must be a valid phone number' },
        { line: 7, field: 'line 7', message: 'line is not valid JSON' },
      ],
    });
    expect(refused.body.detail).toMatch(/all-or-nothing/);
    for (const n of numbers) {
      expect(
        (await check(suppression, { channel: 'phone', purpose: 'partner-marketing', phone: n })).body.decision,
      ).toBe('allow');
    }

    const imported = await importLines([...lines, lines[0], '']);
    expect(imported.status).toBe(201);
    expect(imported.body).toMatchObject({ imported: 5, duplicates: 1, errors: [] });
    expect(imported.body.note).toMatch(/all-or-nothing/i);
    for (const n of numbers) {
      const answer = await check(
        suppression,
        { channel: 'phone', purpose: 'partner-marketing', phoneHash: phoneHash(n) },
        'partner',
      );
      expect(codes(answer.body)).toEqual(['robinson']);
    }
    const twice = await importLines(lines);
    expect(twice.body).toMatchObject({ imported: 0, duplicates: 5 });
    const json = await api().post('/v1/suppression/entries/import').set(bearer('staff')).send({ phone: numbers[0] });
    expect(json.status).toBe(415);
  });
});
