import request from 'supertest';
import { bearer, eventually, startStack, Stack } from './support/stack';

describe('spine: a prohibition flows from consents to suppression', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack(['consents', 'suppression']);
  });
  afterAll(() => stack?.close());

  const check = (email: string) =>
    request(stack.urls.suppression)
      .get('/v1/suppression/check')
      .query({ channel: 'email', purpose: 'own-marketing', email })
      .set(bearer('marketing'));

  it('answers suppress/prohibited after a staff prohibition, and no-consent for an unknown email', async () => {
    const email = `Spine.${Date.now()}@Example.fi`;
    const created = await request(stack.urls.consents)
      .post('/v1/consents')
      .set(bearer('staff'))
      .send({ email, channel: 'all', purpose: 'all', decision: 'prohibit', source: 'customer-service' });
    expect(created.status).toBe(201);

    const answer = await eventually(async () => {
      const res = await check(email.toLowerCase());
      return res.status === 200 && res.body.reasons.some((r: { code: string }) => r.code === 'prohibited') && res;
    });
    expect(answer.body.decision).toBe('suppress');
    expect(answer.body.reasons[0]).toMatchObject({ code: 'prohibited', rule: 'R5', source: 'GDPR Art 21(2)-(3)' });
    expect(typeof answer.body.asOf).toBe('string');

    const unknown = await check(`nobody.${Date.now()}@example.fi`);
    expect(unknown.status).toBe(200);
    expect(unknown.body).toMatchObject({ decision: 'suppress', reasons: [{ code: 'no-consent', rule: 'R1' }] });
  });

  it('rejects a missing key with 401 and a wrong role with 403', async () => {
    const noKey = await request(stack.urls.consents).get('/v1/consents').query({ email: 'a@example.fi' });
    expect(noKey.status).toBe(401);
    expect(noKey.headers['content-type']).toMatch(/application\/problem\+json/);
    const wrongRole = await request(stack.urls.consents)
      .post('/v1/consents')
      .set(bearer('marketing'))
      .send({ email: 'a@example.fi', channel: 'email', purpose: 'all', decision: 'grant', source: 'x' });
    expect(wrongRole.status).toBe(403);
  });

  it('names the field of a bad channel and of malformed JSON in a 400 problem', async () => {
    const badChannel = await request(stack.urls.consents)
      .post('/v1/consents')
      .set(bearer('staff'))
      .send({ email: 'a@example.fi', channel: 'fax', purpose: 'all', decision: 'grant', source: 'x' });
    expect(badChannel.status).toBe(400);
    expect(badChannel.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'channel' })]));

    const malformed = await request(stack.urls.consents)
      .post('/v1/consents')
      .set(bearer('staff'))
      .set('content-type', 'application/json')
      .send('{"email": ');
    expect(malformed.status).toBe(400);
    expect(malformed.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(malformed.body.errors).toEqual([expect.objectContaining({ field: 'body' })]);
  });
});
