import { createHash, randomBytes, randomUUID } from 'node:crypto';
import request from 'supertest';
import type { ServiceApp } from '@kielto/platform';
import { bearer, startStack, Stack } from '../../../test/support/stack';
import { codes, emailHash, eventuallyAnswer, SourceEvents, RELAXED_FRESHNESS } from './support/source-events';

interface Result {
  ref: string | number | null;
  decision: 'allow' | 'suppress';
  reasons: { code: string; rule: string; source: string; since: string | null }[];
}

describe('suppression: bulk check, NDJSON stream and campaign clearance', () => {
  let stack: Stack;
  let suppression: ServiceApp;
  let events: SourceEvents;
  const run = randomBytes(4).toString('hex');
  const email = (name: string | number) => `${name}.${run}@example.fi`;
  const prohibitedCustomer = randomUUID();
  const prohibitedEmail = email('prohibited');
  const grantedEmail = email('granted');

  const post = (path: string, role: 'marketing' | 'partner' | 'staff' = 'marketing') =>
    request(stack.urls.suppression).post(path).set(bearer(role));

  beforeAll(async () => {
    stack = await startStack(['suppression'], RELAXED_FRESHNESS);
    suppression = stack.apps.suppression!;
    events = new SourceEvents(suppression);
    await events.customer(prohibitedCustomer, { emails: [prohibitedEmail] });
    await events.consent(
      { type: 'customer', key: prohibitedCustomer },
      { channel: 'all', purpose: 'all', decision: 'prohibit' },
    );
    await events.consent(
      { type: 'email', key: emailHash(grantedEmail) },
      { channel: 'email', purpose: 'all', decision: 'grant' },
    );
    await eventuallyAnswer(
      suppression,
      { channel: 'email', purpose: 'partner-marketing', email: grantedEmail },
      (b) => b.decision === 'allow',
    );
    await eventuallyAnswer(
      suppression,
      { channel: 'email', purpose: 'partner-marketing', email: prohibitedEmail },
      (b) => codes(b).includes('prohibited'),
    );
  });
  afterAll(() => stack?.close());

  /** 10 000 contacts, refs long enough that the body exceeds the global 1 MiB limit. */
  function tenThousand() {
    const pad = 'x'.repeat(100);
    return Array.from({ length: 10_000 }, (_, i) => {
      const ref = `${pad}-${i}`;
      switch (i % 5) {
        case 0:
          return { ref, email: prohibitedEmail };
        case 1:
          return { ref, email: grantedEmail.toUpperCase() };
        case 2:
          return { ref, customerId: prohibitedCustomer };
        case 3:
          return { ref, emailHash: emailHash(grantedEmail) };
        default:
          return { ref, email: email(i) };
      }
    });
  }

  it('answers 10 000 contacts in input order with their refs (a body above the global 1 MiB limit)', async () => {
    const contacts = tenThousand();
    expect(JSON.stringify({ contacts }).length).toBeGreaterThan(1_048_576);
    const res = await post('/v1/suppression/check').send({ channel: 'email', purpose: 'partner-marketing', contacts });
    expect(res.status).toBe(200);
    expect(typeof res.body.asOf).toBe('string');
    const results = res.body.results as Result[];
    expect(results).toHaveLength(10_000);
    // Every applicable reason, in precedence order: the prohibited customer never granted anything either.
    const expected = [['prohibited', 'no-consent'], [], ['prohibited', 'no-consent'], [], ['no-consent']];
    const wrong = results.filter((result, i) => {
      const want = expected[i % 5];
      const decision = want.length === 0 ? 'allow' : 'suppress';
      return result.ref !== contacts[i].ref || result.decision !== decision || codes(result).join() !== want.join();
    });
    expect(wrong).toEqual([]);
    expect(results[0].reasons[0]).toMatchObject({ code: 'prohibited', rule: 'R5', source: 'GDPR Art 21(2)-(3)' });
  });

  it('rejects 10 001 contacts with 413 naming contacts, and answers nothing', async () => {
    const contacts = Array.from({ length: 10_001 }, (_, i) => ({ email: email(i) }));
    const res = await post('/v1/suppression/check').send({ channel: 'email', purpose: 'own-marketing', contacts });
    expect(res.status).toBe(413);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body.errors).toEqual([{ field: 'contacts', message: expect.stringContaining('10000') }]);
    expect(res.body.results).toBeUndefined();
  });

  it('rejects an invalid contact with 400 naming its field, and answers nothing', async () => {
    const contacts: Record<string, unknown>[] = Array.from({ length: 50 }, (_, i) => ({ ref: i, email: email(i) }));
    contacts[17] = { ref: 17, email: 'matti(at)example.fi' };
    contacts[23] = { ref: 23 };
    contacts[31] = { ref: 31, email: email(31), fax: '123' };
    const res = await post('/v1/suppression/check').send({ channel: 'email', purpose: 'own-marketing', contacts });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      { field: 'contacts[17].email', message: 'email must be a valid e-mail address' },
      { field: 'contacts[23]', message: expect.stringMatching(/exactly one of/) },
      { field: 'contacts[31].fax', message: 'property fax should not exist' },
    ]);
    expect(JSON.stringify(res.body)).not.toContain('matti(at)');
    const badChannel = await post('/v1/suppression/check').send({
      channel: 'fax',
      purpose: 'own-marketing',
      contacts: [],
    });
    expect(badChannel.status).toBe(400);
    expect(badChannel.body.errors).toEqual([expect.objectContaining({ field: 'channel' })]);
  });

  it('lets partners bulk-check hashed identifiers only', async () => {
    const hashed = await post('/v1/suppression/check', 'partner').send({
      channel: 'email',
      purpose: 'partner-marketing',
      contacts: [
        { ref: 'a', emailHash: emailHash(prohibitedEmail) },
        { ref: 'b', emailHash: emailHash(grantedEmail) },
      ],
    });
    expect(hashed.status).toBe(200);
    expect((hashed.body.results as Result[]).map((r) => r.decision)).toEqual(['suppress', 'allow']);
    const clear = await post('/v1/suppression/check', 'partner').send({
      channel: 'email',
      purpose: 'partner-marketing',
      contacts: [{ emailHash: emailHash(grantedEmail) }, { email: grantedEmail }],
    });
    expect(clear.status).toBe(403);
  });

  it('streams 100 000 rows NDJSON in and out, in order, with an error line for a bad line', async () => {
    const lines: string[] = [];
    const grantedHash = emailHash(grantedEmail);
    for (let i = 0; i < 100_000; i++) {
      if (i === 500) lines.push('{"ref": "broken", "email": ');
      else if (i === 501) lines.push('');
      else if (i % 3 === 0) lines.push(JSON.stringify({ ref: i, email: prohibitedEmail }));
      else if (i % 3 === 1) lines.push(JSON.stringify({ ref: i, emailHash: grantedHash }));
      else lines.push(JSON.stringify({ ref: i, email: email(i) }));
    }
    const res = await post('/v1/suppression/check/stream?channel=email&purpose=partner-marketing')
      .set('content-type', 'application/x-ndjson')
      .send(lines.join('\n') + '\n');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/application\/x-ndjson/);
    expect(Date.parse(res.headers['x-kielto-as-of'])).toBeGreaterThan(Date.now() - 60_000);
    const out = res.text
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Result & { line?: number; error?: string });
    // one answer per non-blank input line
    expect(out).toHaveLength(99_999);
    expect(out[500]).toEqual({ line: 501, error: 'line is not valid JSON' });
    const answers = out.filter((o) => o.error === undefined);
    expect(answers).toHaveLength(99_998);
    // Plain loops, one expect at the end: 100 000 expect() calls would block this (shared) event loop for seconds.
    const expected = [['prohibited', 'no-consent'], [], ['no-consent']].map((c) => c.join(','));
    const wrong: unknown[] = [];
    let previous = -1;
    for (const answer of answers) {
      const ref = answer.ref as number;
      if (!(ref > previous) || codes(answer).join(',') !== expected[ref % 3]) wrong.push(answer);
      previous = ref;
    }
    expect(wrong).toEqual([]);
  });

  it('stream: names the problem of each bad line and keeps going; partners get error lines for clear identifiers', async () => {
    const body = [
      JSON.stringify({ ref: 'ok', email: grantedEmail }),
      JSON.stringify({ ref: 'bad', email: 'nope' }),
      JSON.stringify(['not', 'an', 'object']),
      JSON.stringify({ ref: 'two', email: grantedEmail, phone: '+358401234567' }),
      JSON.stringify({ ref: 'last', emailHash: emailHash(prohibitedEmail) }),
    ].join('\r\n');
    const res = await post('/v1/suppression/check/stream?channel=email&purpose=partner-marketing', 'partner')
      .set('content-type', 'application/x-ndjson')
      .send(body);
    expect(res.status).toBe(200);
    const out = res.text
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(out).toEqual([
      { ref: 'ok', line: 1, error: expect.stringMatching(/hashed identifiers only/) },
      { ref: 'bad', line: 2, error: 'email must be a valid e-mail address' },
      { line: 3, error: 'each contact must be an object' },
      { ref: 'two', line: 4, error: expect.stringMatching(/exactly one of/) },
      {
        ref: 'last',
        decision: 'suppress',
        reasons: [expect.objectContaining({ code: 'prohibited' }), expect.objectContaining({ code: 'no-consent' })],
      },
    ]);

    const badQuery = await post('/v1/suppression/check/stream?channel=email')
      .set('content-type', 'application/x-ndjson')
      .send('{}');
    expect(badQuery.status).toBe(400);
    expect(badQuery.body.errors).toEqual([expect.objectContaining({ field: 'purpose' })]);
    const json = await post('/v1/suppression/check/stream?channel=email&purpose=profiling').send({ contacts: [] });
    expect(json.status).toBe(415);
  });

  it('stores a campaign clearance with counts and the input hash, and lists clearances newest first', async () => {
    const campaignId = `spring-${run}`;
    const contacts = [
      { ref: 'c1', email: prohibitedEmail },
      { email: grantedEmail, ref: 'c2' },
      { ref: 'c3', email: email('stranger') },
      { ref: 'c4', emailHash: emailHash(grantedEmail) },
    ];
    const first = await post(`/v1/campaigns/${campaignId}/clearance`).send({
      channel: 'email',
      purpose: 'partner-marketing',
      contacts,
    });
    expect(first.status).toBe(201);
    const canonical = contacts.map((c) => {
      const out: Record<string, unknown> = {};
      for (const key of ['ref', 'email', 'phone', 'customerId', 'emailHash', 'phoneHash']) {
        if ((c as Record<string, unknown>)[key] !== undefined) out[key] = (c as Record<string, unknown>)[key];
      }
      return out;
    });
    const inputSha256 = createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
    expect(first.body).toEqual({
      id: expect.any(String),
      campaignId,
      at: expect.any(String),
      actor: expect.stringMatching(/^marketing-/),
      channel: 'email',
      purpose: 'partner-marketing',
      total: 4,
      allowed: 2,
      suppressed: 2,
      inputSha256,
      asOf: expect.any(String),
      results: [
        {
          ref: 'c1',
          decision: 'suppress',
          reasons: [expect.objectContaining({ code: 'prohibited' }), expect.objectContaining({ code: 'no-consent' })],
        },
        { ref: 'c2', decision: 'allow', reasons: [] },
        { ref: 'c3', decision: 'suppress', reasons: [expect.objectContaining({ code: 'no-consent' })] },
        { ref: 'c4', decision: 'allow', reasons: [] },
      ],
    });
    expect(Date.parse(first.body.asOf)).toBeLessThanOrEqual(Date.parse(first.body.at));

    const second = await post(`/v1/campaigns/${campaignId}/clearance`, 'staff').send({
      channel: 'sms',
      purpose: 'own-marketing',
      contacts: [{ ref: 1, phone: '040 123 4567' }],
    });
    expect(second.status).toBe(201);

    const list = await request(stack.urls.suppression)
      .get(`/v1/campaigns/${campaignId}/clearances`)
      .set(bearer('marketing'));
    expect(list.status).toBe(200);
    const { results: _results, ...firstRecord } = first.body;
    const { results: _second, ...secondRecord } = second.body;
    expect(list.body).toEqual([secondRecord, firstRecord]);

    const other = await request(stack.urls.suppression)
      .get(`/v1/campaigns/other-${run}/clearances`)
      .set(bearer('staff'));
    expect(other.body).toEqual([]);
    const partner = await post(`/v1/campaigns/${campaignId}/clearance`, 'partner').send({
      channel: 'email',
      purpose: 'partner-marketing',
      contacts: [{ emailHash: emailHash(grantedEmail) }],
    });
    expect(partner.status).toBe(403);
    const invalid = await post(`/v1/campaigns/${campaignId}/clearance`).send({
      channel: 'email',
      purpose: 'partner-marketing',
      contacts: [{ email: 'broken' }],
    });
    expect(invalid.status).toBe(400);
    const after = await request(stack.urls.suppression)
      .get(`/v1/campaigns/${campaignId}/clearances`)
      .set(bearer('marketing'));
    expect(after.body).toHaveLength(2);
  });
});
