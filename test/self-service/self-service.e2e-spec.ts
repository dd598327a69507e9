import { createHash, createHmac, randomUUID } from 'node:crypto';
import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { BrowserContext, Page } from 'playwright-core';
import request from 'supertest';
import { keyIdOf } from '@kielto/platform';
import { SmsKeywordRepository } from '../../apps/consents/src/consents/sms-keyword.repository';
import { UnsubscribeTokenCodec } from '../../apps/consents/src/self-service/unsubscribe-token';
import { CustomerEventsFixture } from '../../apps/consents/test/customer-events';
import { ARTIFACTS, launchChromium } from '../support/chromium';
import { bearer, eventually, KEYS, startStack, Stack } from '../support/stack';

const SMS_SECRET = 'test-sms-webhook-secret-0123456789abcdef';
const UNSUBSCRIBE_KEY = { kid: 'links1', secret: 'test-unsubscribe-key-0123456789abcdef' };
const NOTICE_VERSION = 'privacy-notice-test-7';
const DAY = 86_400_000;
/** The non-secret id kielto gives the test marketing key (role + first 12 hex of its SHA-256). */
const MARKETING_KEY_ID = keyIdOf('marketing', createHash('sha256').update(KEYS.marketing).digest());

interface CheckAnswer {
  decision: 'allow' | 'suppress';
  reasons: { code: string; rule: string; since: string | null }[];
  asOf: string;
}
interface HistoryEntry {
  channel: string;
  purpose: string;
  decision: string;
  source: string;
  evidence: {
    capturedBy: string;
    reference?: string;
    tokenId?: string;
    linkKeyId?: string;
    requestId?: string;
    noticeVersion?: string;
    agent?: string;
  };
}
interface Link {
  url: string;
  token: string;
  expiresAt: string;
  headers: Record<string, string>;
}

describe('self-service opt-out: one-click unsubscribe, preference page, SMS STOP (issue 11)', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack(['consents', 'suppression'], {
      KIELTO_SMS_WEBHOOK_SECRET: SMS_SECRET,
      KIELTO_UNSUBSCRIBE_KEYS: `${UNSUBSCRIBE_KEY.kid}:${UNSUBSCRIBE_KEY.secret}`,
      KIELTO_NOTICE_VERSION: NOTICE_VERSION,
    });
  });
  afterAll(() => stack?.close());

  const uniqueEmail = (tag: string) => `${tag}.${randomUUID().slice(0, 8)}@example.fi`;
  const uniquePhone = () => `+35840${Math.floor(1_000_000 + Math.random() * 8_999_999)}`;

  const record = (body: Record<string, unknown>) =>
    request(stack.urls.consents).post('/v1/consents').set(bearer('staff')).send(body).expect(201);

  const history = async (query: Record<string, string>): Promise<HistoryEntry[]> => {
    const res = await request(stack.urls.consents).get('/v1/consents').query(query).set(bearer('staff')).expect(200);
    return res.body.history as HistoryEntry[];
  };

  const answer = (
    contact: Record<string, string>,
    channel: string,
    purpose: string,
    ok: (a: CheckAnswer) => boolean,
    what: string,
  ) =>
    eventually(
      async () => {
        const res = await request(stack.urls.suppression)
          .get('/v1/suppression/check')
          .query({ channel, purpose, ...contact })
          .set(bearer('marketing'));
        return res.status === 200 && ok(res.body as CheckAnswer) && (res.body as CheckAnswer);
      },
      20000,
      what,
    );
  const allows = (a: CheckAnswer) => a.decision === 'allow';
  const suppressedFor = (code: string) => (a: CheckAnswer) =>
    a.decision === 'suppress' && a.reasons.some((r) => r.code === code);

  const createLink = async (
    body: Record<string, unknown>,
    role: 'marketing' | 'staff' = 'marketing',
  ): Promise<Link> => {
    const res = await request(stack.urls.consents).post('/v1/unsubscribe-links').set(bearer(role)).send(body);
    expect(res.status).toBe(201);
    return res.body as Link;
  };

  const oneClick = (token: string) =>
    request(stack.urls.consents)
      .post(`/u/${token}`)
      .set('content-type', 'application/x-www-form-urlencoded')
      .send('List-Unsubscribe=One-Click');

  describe('one-click unsubscribe (RFC 8058)', () => {
    it('makes a link whose one-click POST makes suppression answer suppress/consent-withdrawn for that channel and purpose', async () => {
      const email = uniqueEmail('oneclick');
      await record({ email, channel: 'email', purpose: 'all', decision: 'grant', source: 'web-form' });
      await answer({ email }, 'email', 'own-marketing', allows, 'allow after the grant');

      const link = await createLink({ email, channel: 'email', purpose: 'own-marketing', campaignId: 'spring-2025' });
      expect(link.url).toBe(`${stack.urls.consents}/u/${link.token}`);
      expect(link.headers).toEqual({
        'List-Unsubscribe': `<${link.url}>`,
        'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      });
      const payload = Buffer.from(link.token.split('.')[0], 'base64url').toString('utf8');
      expect(payload).not.toContain('@');
      expect(payload).not.toContain(email.split('@')[0]);

      const res = await oneClick(link.token);
      expect(res.status).toBe(200);
      const suppressed = await answer(
        { email },
        'email',
        'own-marketing',
        suppressedFor('consent-withdrawn'),
        'consent-withdrawn',
      );
      expect(suppressed.reasons[0]).toMatchObject({ code: 'consent-withdrawn' });
      // Only that channel and purpose.
      await answer({ email }, 'email', 'profiling', allows, 'other purposes still allowed');

      const entries = await history({ email });
      expect(entries.at(-1)).toMatchObject({
        channel: 'email',
        purpose: 'own-marketing',
        decision: 'withdraw',
        source: 'one-click-unsubscribe',
        evidence: { capturedBy: 'self-service', reference: 'spring-2025', linkKeyId: MARKETING_KEY_ID },
      });
    });

    it('is idempotent: a repeated POST of the same link adds nothing', async () => {
      const email = uniqueEmail('repeat');
      const link = await createLink({ email, channel: 'all', purpose: 'all', campaignId: 'c-1' }, 'staff');
      const results = await Promise.all([oneClick(link.token), oneClick(link.token), oneClick(link.token)]);
      expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
      expect((await oneClick(link.token)).status).toBe(200);
      expect((await history({ email })).filter((e) => e.source === 'one-click-unsubscribe')).toHaveLength(1);
    });

    it('accepts the one-click POST as multipart/form-data too', async () => {
      const email = uniqueEmail('multipart');
      const link = await createLink({ email, channel: 'email', purpose: 'all', campaignId: 'c-2' });
      const res = await request(stack.urls.consents).post(`/u/${link.token}`).field('List-Unsubscribe', 'One-Click');
      expect(res.status).toBe(200);
      expect(await history({ email })).toHaveLength(1);
    });

    it('answers a tampered token with 400 and changes nothing', async () => {
      const email = uniqueEmail('tampered');
      await record({ email, channel: 'email', purpose: 'all', decision: 'grant', source: 'web-form' });
      const link = await createLink({ email, channel: 'email', purpose: 'own-marketing', campaignId: 'c-3' });
      const [body, signature] = link.token.split('.');
      const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
      const forgedBody = Buffer.from(JSON.stringify({ ...claims, p: 'all' })).toString('base64url');
      const flipped = signature.slice(0, 5) + (signature[5] === 'A' ? 'B' : 'A') + signature.slice(6);

      for (const token of [`${forgedBody}.${signature}`, `${body}.${flipped}`, body, 'not-a-token']) {
        const res = await oneClick(token);
        expect(res.status).toBe(400);
        expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
        const page = await request(stack.urls.consents).get(`/u/${token}`);
        expect(page.status).toBe(400);
      }
      expect(await history({ email })).toHaveLength(1);
      await answer({ email }, 'email', 'own-marketing', allows, 'still allowed');
    });

    it('rejects a body that is not the one-click form, and keys of the wrong role', async () => {
      const link = await createLink({
        email: uniqueEmail('body'),
        channel: 'email',
        purpose: 'all',
        campaignId: 'c-4',
      });
      const wrong = await request(stack.urls.consents)
        .post(`/u/${link.token}`)
        .set('content-type', 'application/x-www-form-urlencoded')
        .send('List-Unsubscribe=Maybe');
      expect(wrong.status).toBe(400);
      expect(wrong.body.errors).toEqual([expect.objectContaining({ field: 'List-Unsubscribe' })]);

      const body = { email: uniqueEmail('role'), channel: 'email', purpose: 'all', campaignId: 'c-5' };
      expect((await request(stack.urls.consents).post('/v1/unsubscribe-links').send(body)).status).toBe(401);
      expect(
        (await request(stack.urls.consents).post('/v1/unsubscribe-links').set(bearer('partner')).send(body)).status,
      ).toBe(403);
      const bad = await request(stack.urls.consents)
        .post('/v1/unsubscribe-links')
        .set(bearer('marketing'))
        .send({ ...body, channel: 'fax', campaignId: undefined });
      expect(bad.status).toBe(400);
      expect(bad.body.errors).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ field: 'channel' }),
          expect.objectContaining({ field: 'campaignId' }),
        ]),
      );
    });
  });

  describe('a link can only take permission away, for its life (issue 19, item 1)', () => {
    const codec = new UnsubscribeTokenCodec([UNSUBSCRIBE_KEY], 400);

    /** The page's CSRF value, as a browser would read it from the rendered form. */
    const csrfOf = async (token: string): Promise<string> => {
      const res = await request(stack.urls.consents).get(`/u/${token}`);
      expect(res.status).toBe(200);
      return /name="csrf" value="([^"]+)"/.exec(res.text)![1];
    };
    const pagePost = (token: string, fields: Record<string, string>, headers = { 'Sec-Fetch-Site': 'same-origin' }) =>
      request(stack.urls.consents).post(`/u/${token}`).type('form').set(headers).send(fields);
    const expectProblem = (res: request.Response, status: number, field: string) => {
      expect(res.status).toBe(status);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    };

    it('refuses grant, lift-prohibition and lift-all through the page (403 naming action), writing nothing', async () => {
      const email = uniqueEmail('nogrant');
      await record({ email, channel: 'all', purpose: 'all', decision: 'prohibit', source: 'letter' });
      const link = await createLink({ email, channel: 'email', purpose: 'all', campaignId: 'c-nogrant' });
      const page = await request(stack.urls.consents).get(`/u/${link.token}`);
      expect(page.text).not.toMatch(/value="(grant|lift-prohibition|lift-all)"/);
      expect(page.text).toContain('Luvan voit antaa ja kiellon perua asiakaspalvelussa');

      // Everything is prohibited, so the page has no form at all; a valid CSRF value changes nothing either.
      const csrf = codec.csrfFor(codec.verify(link.token)!);
      for (const fields of [
        { action: 'grant', channel: 'email', purpose: 'own-marketing' } as Record<string, string>,
        { action: 'lift-prohibition', channel: 'all', purpose: 'all' },
        { action: 'lift-prohibition', channel: 'phone', purpose: 'own-marketing' },
        { action: 'lift-all' },
      ]) {
        const res = await pagePost(link.token, { ...fields, csrf });
        expectProblem(res, 403, 'action');
      }
      expect((await history({ email })).map((e) => e.decision)).toEqual(['prohibit']);
      await answer({ email }, 'phone', 'own-marketing', suppressedFor('prohibited'), 'still prohibited');
    });

    it('records the key that made the link, the link and the request in the evidence of what it does', async () => {
      const email = uniqueEmail('evidence');
      const link = await createLink({ email, channel: 'email', purpose: 'own-marketing', campaignId: 'c-ev' });
      expect(Date.parse(link.expiresAt) - Date.now()).toBeGreaterThan(399 * DAY);
      const staffLink = await createLink({ email, channel: 'sms', purpose: 'all', campaignId: 'c-ev2' }, 'staff');

      const res = await request(stack.urls.consents)
        .post(`/u/${link.token}`)
        .set('X-Request-Id', 'req-oneclick-1')
        .type('form')
        .send('List-Unsubscribe=One-Click');
      expect(res.status).toBe(200);
      const csrf = await csrfOf(staffLink.token);
      expect(
        (await pagePost(staffLink.token, { action: 'prohibit', channel: 'post', purpose: 'profiling', csrf })).status,
      ).toBe(303);

      const entries = await history({ email });
      expect(entries.map((e) => e.evidence)).toEqual([
        {
          capturedBy: 'self-service',
          reference: 'c-ev',
          tokenId: expect.any(String),
          linkKeyId: MARKETING_KEY_ID,
          requestId: 'req-oneclick-1',
        },
        {
          capturedBy: 'self-service',
          reference: 'c-ev2',
          tokenId: expect.any(String),
          linkKeyId: expect.stringMatching(/^staff-[0-9a-f]{8}$/),
          requestId: expect.any(String),
        },
      ]);
    });

    it('answers an expired link with 410 (a page for GET) and writes nothing; v1 links expire 400 days after iat', async () => {
      const email = uniqueEmail('expired');
      const link = await createLink({ email, channel: 'email', purpose: 'all', campaignId: 'c-exp' });
      const claims = codec.verify(link.token)!;
      const base = { subject: claims.subject, channel: claims.channel, purpose: claims.purpose, campaignId: 'c-exp' };
      const expired = codec.issue({ ...base, createdBy: MARKETING_KEY_ID }, Date.now() - 401 * DAY);
      const sign = (payload: object) => {
        const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
        return `${body}.${createHmac('sha256', UNSUBSCRIBE_KEY.secret).update(body).digest('base64url')}`;
      };
      const v1 = (iatMs: number) =>
        sign({
          v: 1,
          kid: UNSUBSCRIBE_KEY.kid,
          s: claims.subject,
          c: 'email',
          p: 'all',
          cmp: 'c-v1',
          iat: Math.floor(iatMs / 1000),
        });

      for (const token of [expired, v1(Date.now() - 401 * DAY)]) {
        expectProblem(await oneClick(token), 410, 'token');
        const csrf = codec.csrfFor(codec.verify(token)!);
        expectProblem(await pagePost(token, { action: 'prohibit-all', csrf }), 410, 'token');
        const page = await request(stack.urls.consents).get(`/u/${token}?lang=en`);
        expect(page.status).toBe(410);
        expect(page.headers['content-type']).toMatch(/text\/html/);
        expect(page.text).toContain('This link no longer works');
      }
      expect(await history({ email })).toEqual([]);

      // A v1 link within its 400 days still withdraws; it names no creating key (it never recorded one).
      expect((await oneClick(v1(Date.now() - 399 * DAY))).status).toBe(200);
      const [entry] = await history({ email });
      expect(entry).toMatchObject({
        decision: 'withdraw',
        evidence: { capturedBy: 'self-service', reference: 'c-v1' },
      });
      expect(entry.evidence).not.toHaveProperty('linkKeyId');
    });

    it('revokes every link of a subject made so far (staff); links made afterwards work', async () => {
      const customers = new CustomerEventsFixture(stack.apps.consents!);
      const customerId = randomUUID();
      const email = uniqueEmail('revoke');
      await customers.created(customerId, { emails: [email], language: 'sv' });
      const byEmail = await createLink({ email, channel: 'email', purpose: 'all', campaignId: 'c-r1' });
      const byCustomer = await createLink({ customerId, channel: 'sms', purpose: 'all', campaignId: 'c-r2' });
      const other = await createLink({
        email: uniqueEmail('bystander'),
        channel: 'email',
        purpose: 'all',
        campaignId: 'c-r3',
      });

      const revoke = (body: object, role: 'staff' | 'marketing' = 'staff') =>
        request(stack.urls.consents).post('/v1/unsubscribe-links/revocations').set(bearer(role)).send(body);
      expect((await revoke({ email }, 'marketing')).status).toBe(403);
      expectProblem(await revoke({}), 400, 'customerId');
      // Wait until consents knows the customer's e-mail, so the revocation by customer id covers the e-mail's links.
      await eventually(
        async () => (await request(stack.urls.consents).get(`/u/${byEmail.token}`)).text.includes('<html lang="sv">'),
        20000,
        'the customer to be known',
      );
      const revoked = await revoke({ customerId });
      expect(revoked.status).toBe(201);
      expect(Date.parse(revoked.body.revokedBefore)).toBeLessThanOrEqual(Date.now());

      expectProblem(await oneClick(byEmail.token), 410, 'token');
      expectProblem(await oneClick(byCustomer.token), 410, 'token');
      expect((await request(stack.urls.consents).get(`/u/${byCustomer.token}`)).status).toBe(410);
      expect(await history({ customerId })).toEqual([]);
      expect((await oneClick(other.token)).status).toBe(200);

      const fresh = await createLink({ email, channel: 'email', purpose: 'all', campaignId: 'c-r4' });
      expect((await oneClick(fresh.token)).status).toBe(200);
      expect((await history({ email })).map((e) => e.evidence.reference)).toEqual(['c-r4']);
    });

    it('accepts page forms only from the page itself, with a CSRF value at most 15 minutes old', async () => {
      const email = uniqueEmail('origin');
      const link = await createLink({ email, channel: 'email', purpose: 'all', campaignId: 'c-origin' });
      const csrf = await csrfOf(link.token);
      const fields = { action: 'prohibit', channel: 'phone', purpose: 'own-marketing', csrf };
      // Neither Sec-Fetch-Site nor Origin: not a browser on the page.
      expectProblem(await pagePost(link.token, fields, {} as { 'Sec-Fetch-Site': string }), 403, 'sec-fetch-site');
      expect((await pagePost(link.token, fields, { 'Sec-Fetch-Site': 'none' })).status).toBe(403);
      expect((await pagePost(link.token, fields, { Origin: 'https://evil.example' } as never)).status).toBe(403);
      const stale = codec.csrfFor(codec.verify(link.token)!, Date.now() - 16 * 60_000);
      expectProblem(await pagePost(link.token, { ...fields, csrf: stale }), 403, 'csrf');
      expect(await history({ email })).toEqual([]);

      const host = new URL(stack.urls.consents).host;
      expect((await pagePost(link.token, fields, { Origin: `http://${host}` } as never)).status).toBe(303);
      expect(await history({ email })).toHaveLength(1);
    });

    it('rate-limits the POSTs of one link (429 with Retry-After), not those of another', async () => {
      const link = await createLink({
        email: uniqueEmail('flood'),
        channel: 'email',
        purpose: 'all',
        campaignId: 'c-f',
      });
      const statuses: number[] = [];
      for (let i = 0; i < 11; i++) statuses.push((await oneClick(link.token)).status);
      expect(statuses.slice(0, 10)).toEqual(Array(10).fill(200));
      const limited = await oneClick(link.token);
      expectProblem(limited, 429, 'token');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      const csrf = await csrfOf(link.token);
      expect((await pagePost(link.token, { action: 'prohibit-all', csrf })).status).toBe(429);

      const other = await createLink({
        email: uniqueEmail('calm'),
        channel: 'email',
        purpose: 'all',
        campaignId: 'c-g',
      });
      expect((await oneClick(other.token)).status).toBe(200);
    });

    it('writes nothing for a repeated identical decision, but counts again once a later entry overrides it', async () => {
      const email = uniqueEmail('repeat-decision');
      const link = await createLink({ email, channel: 'email', purpose: 'own-marketing', campaignId: 'c-rep' });
      const csrf = await csrfOf(link.token);
      const withdrawForm = { action: 'withdraw', channel: 'email', purpose: 'own-marketing', csrf };
      const prohibitAll = { action: 'prohibit-all', csrf };
      expect((await oneClick(link.token)).status).toBe(200);
      expect((await pagePost(link.token, withdrawForm)).status).toBe(303);
      expect((await pagePost(link.token, prohibitAll)).status).toBe(303);
      expect((await pagePost(link.token, prohibitAll)).status).toBe(303);
      expect((await history({ email })).map((e) => `${e.decision}/${e.channel}/${e.purpose}`)).toEqual([
        'withdraw/email/own-marketing',
        'prohibit/all/all',
      ]);

      // Customer service restores a permission (with the person's confirmation): the link withdraws it again.
      await record({ email, channel: 'email', purpose: 'all', decision: 'grant', source: 'phone-call' });
      await record({
        email,
        channel: 'post',
        purpose: 'own-marketing',
        decision: 'lift-prohibition',
        source: 'phone-call',
      });
      expect((await oneClick(link.token)).status).toBe(200);
      expect((await pagePost(link.token, prohibitAll)).status).toBe(303);
      expect((await history({ email })).map((e) => `${e.decision}/${e.channel}/${e.purpose}`)).toEqual([
        'withdraw/email/own-marketing',
        'prohibit/all/all',
        'grant/email/all',
        'lift-prohibition/post/own-marketing',
        'withdraw/email/own-marketing',
        'prohibit/all/all',
      ]);
    });

    it('staff grants and lifts record the privacy notice version (KIELTO_NOTICE_VERSION unless given)', async () => {
      const email = uniqueEmail('notice');
      const granted = await record({ email, channel: 'email', purpose: 'all', decision: 'grant', source: 'web-form' });
      expect(granted.body.evidence).toMatchObject({
        noticeVersion: NOTICE_VERSION,
        capturedBy: expect.stringMatching(/^staff-/),
      });
      const lifted = await record({
        email,
        channel: 'all',
        purpose: 'all',
        decision: 'lift-prohibition',
        source: 'web-form',
        evidence: { noticeVersion: 'pn-2026-12', capturedBy: 'agent-7' },
      });
      expect(lifted.body.evidence).toMatchObject({ noticeVersion: 'pn-2026-12', agent: 'agent-7' });
      expect(lifted.body.evidence.capturedBy).toMatch(/^staff-[0-9a-f]{8}$/);
      const withdrawn = await record({
        email,
        channel: 'email',
        purpose: 'all',
        decision: 'withdraw',
        source: 'web-form',
      });
      expect(withdrawn.body.evidence).not.toHaveProperty('noticeVersion');
    });
  });

  describe('SMS STOP webhook', () => {
    interface Signed {
      timestamp?: string;
      signature?: string;
    }
    const unixNow = () => Math.floor(Date.now() / 1000);
    const hmacHex = (message: string, secret = SMS_SECRET) =>
      createHmac('sha256', secret).update(message).digest('hex');
    /** What the gateway sends: the timestamp, and the HMAC of "<timestamp>.<raw body>". */
    const sign = (raw: string, timestamp = unixNow(), secret = SMS_SECRET): Signed => ({
      timestamp: String(timestamp),
      signature: `sha256=${hmacHex(`${timestamp}.${raw}`, secret)}`,
    });
    const inbound = (raw: string, signed: Signed = {}) => {
      const req = request(stack.urls.consents).post('/v1/inbound/sms').set('content-type', 'application/json');
      if (signed.timestamp !== undefined) void req.set('X-Kielto-Timestamp', signed.timestamp);
      if (signed.signature !== undefined) void req.set('X-Kielto-Signature', signed.signature);
      return req.send(raw);
    };

    it('rejects a missing or bad signature with 401 and writes nothing', async () => {
      const phone = uniquePhone();
      const raw = JSON.stringify({ from: phone, text: 'STOP' });
      const good = sign(raw);
      for (const signed of [
        {},
        { timestamp: good.timestamp, signature: 'sha256=00' },
        sign(raw, unixNow(), 'wrong-secret-0123456789'),
        sign(`${raw} `),
        { ...good, signature: good.signature!.toUpperCase() },
      ]) {
        const res = await inbound(raw, signed);
        expect(res.status).toBe(401);
        expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      }
      expect(await history({ phone })).toEqual([]);
    });

    it('signs the timestamp too: refuses the old body-only signature, a changed or stale timestamp, and a replay (issue 19, item 9)', async () => {
      const phone = uniquePhone();
      const raw = JSON.stringify({ from: phone, text: 'STOP' });
      const now = unixNow();
      const bodyOnly = `sha256=${hmacHex(raw)}`;
      const refused: [Signed, string][] = [
        [{ signature: bodyOnly }, 'X-Kielto-Timestamp'],
        [{ timestamp: String(now), signature: bodyOnly }, 'X-Kielto-Signature'],
        [{ ...sign(raw, now), timestamp: String(now + 1) }, 'X-Kielto-Signature'],
        [sign(raw, now - 400), 'X-Kielto-Timestamp'],
        [sign(raw, now + 400), 'X-Kielto-Timestamp'],
        [{ signature: sign(raw, now).signature }, 'X-Kielto-Timestamp'],
      ];
      for (const [signed, field] of refused) {
        const res = await inbound(raw, signed);
        expect(res.status).toBe(401);
        expect(res.body.errors).toEqual([expect.objectContaining({ field })]);
      }
      expect(await history({ phone })).toEqual([]);

      // Fresh (a little in the past, within 5 minutes): accepted once; the same signed request again is a replay.
      const signed = sign(raw, now - 200);
      expect((await inbound(raw, signed)).status).toBe(200);
      const replay = await inbound(raw, signed);
      expect(replay.status).toBe(409);
      expect(replay.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(replay.body.errors).toEqual([expect.objectContaining({ field: 'X-Kielto-Signature' })]);
      expect(await history({ phone })).toHaveLength(1);
      // Signed again with a new timestamp, it is a new request.
      expect((await inbound(raw, sign(raw, now - 199))).status).toBe(200);
      expect(await history({ phone })).toHaveLength(2);
    });

    it('withdraws SMS marketing for every purpose on a signed STOP (SEIS, LOPETA, any case)', async () => {
      const phone = uniquePhone();
      await record({ phone, channel: 'all', purpose: 'all', decision: 'grant', source: 'web-form' });
      await answer({ phone }, 'sms', 'partner-marketing', allows, 'sms allowed after the grant');

      const raw = JSON.stringify({ from: phone.replace('+358', '0'), text: '  stop \n' });
      const res = await inbound(raw, sign(raw)).set('X-Request-Id', 'sms-req-1');
      expect(res.status).toBe(200);
      for (const purpose of ['own-marketing', 'partner-marketing', 'profiling', 'market-research']) {
        await answer({ phone }, 'sms', purpose, suppressedFor('consent-withdrawn'), `sms ${purpose} withdrawn`);
      }
      await answer({ phone }, 'email', 'own-marketing', allows, 'other channels untouched');
      expect((await history({ phone })).at(-1)).toMatchObject({
        channel: 'sms',
        purpose: 'all',
        decision: 'withdraw',
        source: 'sms-stop',
        evidence: { capturedBy: 'sms-gateway', requestId: 'sms-req-1' },
      });

      for (const text of ['SEIS', 'Lopeta']) {
        const other = uniquePhone();
        const body = JSON.stringify({ from: other, text });
        expect((await inbound(body, sign(body))).status).toBe(200);
        expect(await history({ phone: other })).toEqual([
          expect.objectContaining({ decision: 'withdraw', source: 'sms-stop' }),
        ]);
      }
    });

    it('records START without granting anything, and acknowledges unknown messages', async () => {
      const phone = uniquePhone();
      const start = JSON.stringify({ from: phone, text: 'START' });
      const started = await inbound(start, sign(start));
      expect(started.status).toBe(200);
      expect(started.body).toEqual({ status: 'recorded' });
      expect(await history({ phone })).toEqual([]);
      const phoneHash = new CustomerEventsFixture(stack.apps.consents!).phoneHash(phone);
      const evidence = await stack.apps.consents!.app.get(SmsKeywordRepository).listFor(`phone:${phoneHash}`);
      expect(evidence).toEqual([expect.objectContaining({ keyword: 'START', source: 'sms-start' })]);
      await answer({ phone }, 'sms', 'own-marketing', suppressedFor('no-consent'), 'still no consent');

      const hello = JSON.stringify({ from: 'ACME', text: 'hello there' });
      const ignored = await inbound(hello, sign(hello));
      expect(ignored.status).toBe(200);
      expect(ignored.body).toEqual({ status: 'ignored' });
    });
  });

  describe('preference page in headless Chromium', () => {
    let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;
    let context: BrowserContext;
    let page: Page;

    beforeAll(async () => {
      browser = await launchChromium('the preference page', () => [stack.urls.consents]);
      context = browser.context;
      page = context.pages()[0] ?? (await context.newPage());
    });

    afterAll(() => browser?.close());

    const row = (channel: string, purpose: string) =>
      page.locator(`tr[data-channel="${channel}"][data-purpose="${purpose}"]`);

    it('shows the current state; a toggle and prohibit-all each change what suppression answers', async () => {
      const email = uniqueEmail('page');
      await record({ email, channel: 'email', purpose: 'all', decision: 'grant', source: 'web-form' });
      await record({ email, channel: 'sms', purpose: 'profiling', decision: 'withdraw', source: 'web-form' });
      await answer({ email }, 'email', 'own-marketing', allows, 'email allowed before the page');
      const link = await createLink({ email, channel: 'email', purpose: 'own-marketing', campaignId: 'newsletter-42' });

      const response = await page.goto(link.url);
      expect(response?.status()).toBe(200);
      expect(response?.headers()['content-security-policy']).toContain("default-src 'none'");
      expect(await page.locator('html').getAttribute('lang')).toBe('fi');
      expect(await page.locator('h1').textContent()).toBe('Markkinointiluvat');
      expect(await row('email', 'own-marketing').locator('td').nth(1).textContent()).toBe('Lupa annettu');
      expect(await row('sms', 'profiling').locator('td').nth(1).textContent()).toBe('Lupa peruttu');
      expect(await row('post', 'own-marketing').locator('td').nth(1).textContent()).toBe('Sallittu');
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: path.join(ARTIFACTS, 'preference-page.png'), fullPage: true });
      expect(statSync(path.join(ARTIFACTS, 'preference-page.png')).size).toBeGreaterThan(10_000);

      // Toggle by keyboard: focus the row's button and press Enter.
      const toggle = row('email', 'own-marketing').getByRole('button', {
        name: 'Peru lupa – Sähköposti, oma markkinointi',
      });
      await toggle.focus();
      await Promise.all([page.waitForURL(/saved=1/), page.keyboard.press('Enter')]);
      expect(await page.getByRole('status').textContent()).toBe('Valintasi on tallennettu.');
      expect(await row('email', 'own-marketing').locator('td').nth(1).textContent()).toBe('Lupa peruttu');
      await answer({ email }, 'email', 'own-marketing', suppressedFor('consent-withdrawn'), 'withdrawn from the page');
      await answer({ email }, 'email', 'partner-marketing', allows, 'the other rows unchanged');
      await page.screenshot({ path: path.join(ARTIFACTS, 'preference-page-after-toggle.png'), fullPage: true });

      // Art 21: prohibit all direct marketing.
      await Promise.all([
        page.waitForURL(/saved=1/),
        page.getByRole('button', { name: 'Kiellä kaikki suoramarkkinointi' }).click(),
      ]);
      expect(await page.locator('#prohibited-all').textContent()).toBe('Olet kieltänyt kaiken suoramarkkinoinnin.');
      expect(await row('post', 'partner-marketing').locator('td').nth(1).textContent()).toBe('Kielletty');
      for (const [channel, purpose] of [
        ['email', 'partner-marketing'],
        ['post', 'own-marketing'],
        ['phone', 'profiling'],
      ]) {
        const a = await answer(
          { email },
          channel,
          purpose,
          suppressedFor('prohibited'),
          `${channel}/${purpose} prohibited`,
        );
        expect(a.reasons[0]).toMatchObject({ code: 'prohibited', rule: 'R5' });
      }
      await page.screenshot({ path: path.join(ARTIFACTS, 'preference-page-prohibited.png'), fullPage: true });

      const entries = await history({ email });
      expect(entries.slice(-2)).toEqual([
        expect.objectContaining({
          channel: 'email',
          purpose: 'own-marketing',
          decision: 'withdraw',
          source: 'preference-page',
        }),
        expect.objectContaining({ channel: 'all', purpose: 'all', decision: 'prohibit', source: 'preference-page' }),
      ]);
      expect(entries.at(-1)?.evidence).toEqual({
        capturedBy: 'self-service',
        reference: 'newsletter-42',
        tokenId: expect.any(String),
        linkKeyId: MARKETING_KEY_ID,
        requestId: expect.any(String),
      });
    });

    it("speaks the customer's language, Swedish or English, unless ?lang= says otherwise", async () => {
      const customers = new CustomerEventsFixture(stack.apps.consents!);
      const customerId = randomUUID();
      const email = uniqueEmail('svenska');
      await customers.created(customerId, { emails: [email], language: 'sv' });
      await record({ customerId, channel: 'sms', purpose: 'market-research', decision: 'grant', source: 'phone-call' });
      const link = await createLink({ email, channel: 'email', purpose: 'all', campaignId: 'c-sv' });
      await eventually(
        async () => {
          await page.goto(link.url);
          return (await page.locator('html').getAttribute('lang')) === 'sv';
        },
        20000,
        'the customer language to be known',
      );
      expect(await page.locator('h1').textContent()).toBe('Marknadsföringstillstånd');

      await Promise.all([page.waitForURL(/lang=en/), page.getByRole('link', { name: 'English' }).click()]);
      expect(await page.locator('html').getAttribute('lang')).toBe('en');
      expect(await page.locator('h1').textContent()).toBe('Marketing preferences');
      // A form post keeps the chosen language.
      await Promise.all([
        page.waitForURL(/saved=1/),
        row('sms', 'market-research')
          .getByRole('button', { name: 'Withdraw consent – Text message, market research' })
          .click(),
      ]);
      expect(page.url()).toContain('lang=en');
      expect(await row('sms', 'market-research').locator('td').nth(1).textContent()).toBe('Consent withdrawn');
      await answer(
        { customerId },
        'sms',
        'market-research',
        suppressedFor('consent-withdrawn'),
        'withdrawn from the page',
      );
      // Giving it back is not offered: the row points to customer service.
      expect(await row('sms', 'market-research').locator('td').nth(2).textContent()).toBe('Via customer service');
      expect(await page.locator('#staff-only').textContent()).toContain('contact customer service');
    });

    it('tells an active customer that own marketing is allowed by the relationship, and refuses it for that row alone (§200(3))', async () => {
      const customers = new CustomerEventsFixture(stack.apps.consents!);
      const customerId = randomUUID();
      const email = uniqueEmail('soft');
      await customers.created(customerId, { emails: [email], activeContract: true });
      await answer({ customerId }, 'email', 'own-marketing', allows, 'soft opt-in');
      const link = await createLink({ customerId, channel: 'email', purpose: 'own-marketing', campaignId: 'c-soft' });
      await eventually(
        async () => {
          await page.goto(`${link.url}?lang=fi`);
          return (
            (await row('email', 'own-marketing').locator('td').nth(1).textContent()) ===
            'Sallittu asiakkuuden perusteella'
          );
        },
        20000,
        'the relationship shown',
      );
      expect(await row('sms', 'own-marketing').locator('td').nth(1).textContent()).toBe(
        'Sallittu asiakkuuden perusteella',
      );
      expect(await row('email', 'partner-marketing').locator('td').nth(1).textContent()).toBe('Ei lupaa');
      await Promise.all([
        page.waitForURL(/saved=1/),
        row('email', 'own-marketing').getByRole('button', { name: 'Peru lupa – Sähköposti, oma markkinointi' }).click(),
      ]);
      expect(await row('email', 'own-marketing').locator('td').nth(1).textContent()).toBe('Lupa peruttu');
      await answer(
        { customerId },
        'email',
        'own-marketing',
        suppressedFor('consent-withdrawn'),
        'refused from the page',
      );
      // That row alone: SMS keeps the soft opt-in.
      expect(await row('sms', 'own-marketing').locator('td').nth(1).textContent()).toBe(
        'Sallittu asiakkuuden perusteella',
      );
      await answer({ customerId }, 'sms', 'own-marketing', allows, 'sms unchanged');
    });

    it('refuses a form post without a valid CSRF token, and one from another site', async () => {
      const email = uniqueEmail('csrf');
      const link = await createLink({ email, channel: 'email', purpose: 'all', campaignId: 'c-csrf' });
      const form = (fields: Record<string, string>) =>
        request(stack.urls.consents)
          .post(`/u/${link.token}`)
          .type('form')
          .set('Sec-Fetch-Site', 'same-origin')
          .send(fields);
      expect((await form({ action: 'prohibit-all' })).status).toBe(403);
      expect(
        (await form({ action: 'prohibit-all', csrf: `${Math.floor(Date.now() / 1000)}.${'A'.repeat(43)}` })).status,
      ).toBe(403);

      await page.goto(link.url);
      const csrf = (await page.locator('input[name="csrf"]').first().getAttribute('value'))!;
      const crossSite = await request(stack.urls.consents)
        .post(`/u/${link.token}`)
        .type('form')
        .set('Origin', 'https://evil.example')
        .set('Sec-Fetch-Site', 'cross-site')
        .send({ action: 'prohibit-all', csrf });
      expect(crossSite.status).toBe(403);
      expect(await history({ email })).toEqual([]);

      const ok = await form({ action: 'prohibit-all', csrf });
      expect(ok.status).toBe(303);
      expect(ok.headers.location).toBe(`/u/${link.token}?saved=1`);
      expect(await history({ email })).toEqual([
        expect.objectContaining({ decision: 'prohibit', channel: 'all', purpose: 'all' }),
      ]);
    });
  });
});
