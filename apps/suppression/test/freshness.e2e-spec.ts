import { randomBytes } from 'node:crypto';
import request from 'supertest';
import type { ServiceApp } from '@kielto/platform';
import { bearer, eventually, startStack, Stack } from '../../../test/support/stack';
import { CheckService } from '../src/check/check.service';
import { FreshnessService } from '../src/freshness/freshness.service';
import { check, emailHash, eventuallyAnswer, SourceEvents } from './support/source-events';

const STALENESS_MS = 1500;

/** Fail closed: when the consumer stops, checks answer 503 with Retry-After after the bound — never a guess. */
describe('suppression: freshness (fail closed)', () => {
  let stack: Stack;
  let suppression: ServiceApp;
  let events: SourceEvents;
  const run = randomBytes(4).toString('hex');
  const granted = `granted.${run}@example.fi`;

  beforeAll(async () => {
    stack = await startStack(['suppression'], { SUPPRESSION_MAX_STALENESS_MS: String(STALENESS_MS) });
    suppression = stack.apps.suppression!;
    events = new SourceEvents(suppression);
    await events.consent(
      { type: 'email', key: emailHash(granted) },
      { channel: 'all', purpose: 'all', decision: 'grant' },
    );
    await eventuallyAnswer(
      suppression,
      { channel: 'email', purpose: 'partner-marketing', email: granted },
      (b) => b.decision === 'allow',
    );
  });
  afterAll(() => stack?.close());

  it('reports asOf within the bound while the consumer runs, and readiness up', async () => {
    const res = await check(suppression, { channel: 'email', purpose: 'partner-marketing', email: granted });
    expect(Date.now() - Date.parse(res.body.asOf)).toBeLessThan(STALENESS_MS + 1000);
    const ready = await request(stack.urls.suppression).get('/health/ready');
    expect(ready.status).toBe(200);
  });

  it('answers a check that found the watermark older than the bound while nothing was published (issue 20)', async () => {
    // Something holds the event loop for longer than the bound — here the validation of this very request, in the
    // fuzz run a large body or a busy machine — so no sample of the end offsets could run meanwhile. Nothing was
    // published: the list is not behind, and refusing would be a false alarm.
    const checks = suppression.app.get(CheckService);
    const readBulk = checks.readBulk.bind(checks);
    const spy = jest.spyOn(checks, 'readBulk').mockImplementation((body, actor) => {
      const until = Date.now() + STALENESS_MS + 500;
      while (Date.now() < until); // a busy event loop, not a wait: no timer can fire
      return readBulk(body, actor);
    });
    try {
      const sentAt = Date.now();
      const res = await request(stack.urls.suppression)
        .post('/v1/suppression/check')
        .set(bearer('marketing'))
        .send({ channel: 'email', purpose: 'partner-marketing', contacts: [{ email: granted }] });
      expect(spy).toHaveBeenCalled();
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ results: [{ decision: 'allow' }] });
      // The answer is based on a sample taken after the loop was free again, not on the one before.
      expect(Date.parse((res.body as { asOf: string }).asOf)).toBeGreaterThan(sentAt + STALENESS_MS);
    } finally {
      spy.mockRestore();
    }
  });

  it('goes on with a stream whose watermark only lagged mid-stream: Kafka confirms before it is ended (19.7, 20)', async () => {
    // The first contact holds the event loop past the bound, so the next chunk finds the watermark old although
    // nothing was published. The per-chunk test must ask Kafka (untilFresh) rather than end the answer as stale.
    const checks = suppression.app.get(CheckService);
    const freshness = suppression.app.get(FreshnessService);
    const decide = checks.decide.bind(checks);
    let stalled = false;
    const spy = jest.spyOn(checks, 'decide').mockImplementation((...args) => {
      if (!stalled) {
        stalled = true;
        const until = Date.now() + STALENESS_MS + 500;
        while (Date.now() < until); // a busy event loop, not a wait: no sample can run
      }
      return decide(...args);
    });
    const confirmations = jest.spyOn(freshness, 'untilFresh');
    try {
      // Several input chunks: far more than one socket read and the stream's 64 KiB buffer.
      const lines = 4000;
      const body = Array.from({ length: lines }, (_, i) => JSON.stringify({ ref: i, email: granted })).join('\n');
      const res = await request(stack.urls.suppression)
        .post('/v1/suppression/check/stream?channel=email&purpose=partner-marketing')
        .set(bearer('marketing'))
        .set('content-type', 'application/x-ndjson')
        .send(body);
      expect(res.status).toBe(200);
      const answers = res.text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { decision?: string; type?: string });
      expect(answers.filter((a) => a.type === 'stale-suppression-state')).toEqual([]);
      expect(answers).toHaveLength(lines);
      expect(answers.every((a) => a.decision === 'allow')).toBe(true);
      expect(confirmations).toHaveBeenCalled();
    } finally {
      spy.mockRestore();
      confirmations.mockRestore();
    }
  });

  it('answers 503 with Retry-After once the consumer has stopped for longer than the bound, and never allow after it', async () => {
    let lastAsOf = Date.parse(
      (await check(suppression, { channel: 'email', purpose: 'partner-marketing', email: granted })).body.asOf,
    );
    await suppression.events!.close();
    // A withdrawal the stopped consumer will never see: any "allow" after the bound would be a wrong answer.
    await events.consent(
      { type: 'email', key: emailHash(granted) },
      { channel: 'all', purpose: 'all', decision: 'withdraw' },
    );

    const refused = await eventually(
      async () => {
        const res = await check(suppression, { channel: 'email', purpose: 'partner-marketing', email: granted });
        if (res.status === 200) {
          // Within the bound the answer may still be the old one, but it must say how old it is.
          lastAsOf = Date.parse(res.body.asOf);
          expect(Date.now() - lastAsOf).toBeLessThanOrEqual(STALENESS_MS + 100);
          return undefined;
        }
        return res;
      },
      STALENESS_MS + 10_000,
      'a 503',
    );
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toMatch(/^\d+$/);
    expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(refused.body).toMatchObject({ status: 503, type: expect.stringContaining('stale-suppression-state') });
    // Refused because the newest state it holds is older than the bound.
    expect(Date.now() - lastAsOf).toBeGreaterThan(STALENESS_MS);

    // From now on every kind of check refuses: single, bulk, stream, clearance.
    for (let i = 0; i < 10; i++) {
      const res = await check(suppression, { channel: 'email', purpose: 'partner-marketing', email: granted });
      expect(res.status).toBe(503);
    }
    const post = (path: string) => request(stack.urls.suppression).post(path).set(bearer('marketing'));
    const body = { channel: 'email', purpose: 'partner-marketing', contacts: [{ email: granted }] };
    expect((await post('/v1/suppression/check').send(body)).status).toBe(503);
    expect((await post('/v1/campaigns/stale/clearance').send(body)).status).toBe(503);
    const stream = await post('/v1/suppression/check/stream?channel=email&purpose=partner-marketing')
      .set('content-type', 'application/x-ndjson')
      .send(JSON.stringify({ email: granted }));
    expect(stream.status).toBe(503);
    expect(stream.headers['retry-after']).toBeDefined();
    const clearances = await request(stack.urls.suppression)
      .get('/v1/campaigns/stale/clearances')
      .set(bearer('marketing'));
    expect(clearances.body).toEqual([]);
    expect((await request(stack.urls.suppression).get('/health/ready')).status).toBe(503);
  });
});
