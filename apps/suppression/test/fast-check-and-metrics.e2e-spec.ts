import request from 'supertest';
import type { ServiceApp } from '@kielto/platform';
import { bearer, startStack, Stack } from '../../../test/support/stack';
import { check, RELAXED_FRESHNESS, untilFresh } from './support/source-events';

const LIMIT = 40;

/** The single check's fast path keeps the platform's conventions; metrics report decisions, index and lag. */
describe('suppression: single-check fast path and metrics', () => {
  let stack: Stack;
  let suppression: ServiceApp;

  beforeAll(async () => {
    stack = await startStack(['suppression'], { ...RELAXED_FRESHNESS, KIELTO_RATE_LIMIT_PER_MINUTE: String(LIMIT) });
    suppression = stack.apps.suppression!;
    await untilFresh(suppression);
  });
  afterAll(() => stack?.close());

  it('echoes a well-formed x-request-id, names it in problems, and sends nosniff and no-store', async () => {
    const ok = await check(suppression, { channel: 'post', purpose: 'profiling', phone: '040 765 4321' }).set(
      'x-request-id',
      'trace-123',
    );
    expect(ok.status).toBe(200);
    expect(ok.headers['x-request-id']).toBe('trace-123');
    expect(ok.headers['x-content-type-options']).toBe('nosniff');
    expect(ok.headers['cache-control']).toBe('no-store');
    expect(ok.headers['content-type']).toBe('application/json; charset=utf-8');

    const bad = await check(suppression, { channel: 'post', purpose: 'profiling' });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ instance: '/v1/suppression/check', requestId: bad.headers['x-request-id'] });
    const unknownKey = await request(stack.urls.suppression)
      .get('/v1/suppression/check')
      .query({ channel: 'post', purpose: 'profiling', phone: '040 765 4321' })
      .set('Authorization', 'Bearer not-a-key-at-all');
    expect(unknownKey.status).toBe(401);
  });

  it('exports decision counts by reason, index size, consumer lag and staleness', async () => {
    await check(suppression, { channel: 'email', purpose: 'profiling', email: 'metrics@example.fi' }).expect(200);
    const metrics = await request(stack.urls.suppression).get('/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.text).toMatch(
      /kielto_suppression_decisions_total\{decision="suppress",reason="no-consent"[^}]*\} [1-9]/,
    );
    expect(metrics.text).toMatch(/kielto_suppression_decisions_total\{decision="allow",reason="none"[^}]*\} [1-9]/);
    expect(metrics.text).toMatch(/kielto_suppression_index_identifiers(\{[^}]*\})? \d+/);
    expect(metrics.text).toMatch(/kielto_suppression_consumer_lag_messages(\{[^}]*\})? \d+/);
    expect(metrics.text).toMatch(/kielto_suppression_staleness_ms(\{[^}]*\})? \d+/);
    expect(metrics.text).toMatch(/kielto_http_request_duration_seconds_count\{[^}]*route="\/v1\/suppression\/check"/);
  });

  it('applies the per-key rate limit: 429 with Retry-After once the budget of the minute is spent', async () => {
    let refused: request.Response | undefined;
    for (let i = 0; i < LIMIT + 5 && !refused; i++) {
      const res = await check(suppression, { channel: 'post', purpose: 'profiling', phone: '040 765 4321' }, 'staff');
      if (res.status === 429) refused = res;
      else expect(res.status).toBe(200);
    }
    expect(refused?.headers['retry-after']).toMatch(/^\d+$/);
    expect(refused?.headers['content-type']).toMatch(/application\/problem\+json/);
    // Other keys have their own budget.
    const partner = await request(stack.urls.suppression)
      .get('/v1/suppression/check')
      .query({ channel: 'post', purpose: 'profiling', phoneHash: 'e'.repeat(64) })
      .set(bearer('partner'));
    expect(partner.status).toBe(200);
  });
});
