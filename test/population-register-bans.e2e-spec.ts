import { randomBytes } from 'node:crypto';
import { Consumer, Kafka, logLevel } from 'kafkajs';
import request from 'supertest';
import { IdentifierHasher } from '@kielto/platform';
import { normaliseEmail, TOPICS } from '@kielto/contracts';
import { bearer, eventually, KEYS, PARTNER_HASH_KEY, startStack, Stack } from './support/stack';

/**
 * DVV (population register) bans on customers (issue 17, part 3; docs/CONTRACT.md §3.9), through the public API and
 * the topics: `direct-marketing` stops post for every purpose (reason population-register-ban, partners see opt-out);
 * `safety` also keeps the customer out of the directory, the address out of every event and every answer but the
 * subject's own export.
 */
describe('DVV population-register bans', () => {
  let stack: Stack;
  let consumer: Consumer | undefined;
  const events: { key: string; value: string }[] = [];
  const run = randomBytes(3).toString('hex');
  const street = `Turvakuja ${parseInt(run, 16) % 900} C 9`;
  const hasher = new IdentifierHasher(PARTNER_HASH_KEY);

  const customers = () => request(stack.urls.customers);
  const create = (body: Record<string, unknown>) =>
    customers()
      .post('/v1/customers')
      .set(bearer('staff'))
      .send({ kind: 'person', activeContract: true, ...body });
  const check = (query: Record<string, string>, role: 'marketing' | 'partner' = 'marketing') =>
    request(stack.urls.suppression).get('/v1/suppression/check').query(query).set(bearer(role));
  const eventuallySuppressed = (query: Record<string, string>) =>
    eventually(
      async () => {
        const res = await check(query);
        return res.status === 200 && res.body.decision === 'suppress' && res;
      },
      20_000,
      `suppress for ${JSON.stringify(query)}`,
    );
  const address = { street, postalCode: '00100', city: 'Helsinki', country: 'FI' };

  beforeAll(async () => {
    // Customers last: its export reads the other services' URLs, which the stack sets as each one starts.
    stack = await startStack(['consents', 'directory-bans', 'suppression', 'customers'], {
      SUPPRESSION_MAX_STALENESS_MS: '30000',
      KIELTO_SERVICE_KEY: KEYS.admin,
    });
    const kafka = new Kafka({
      clientId: 'dvv-test',
      brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
      logLevel: logLevel.NOTHING,
    });
    consumer = kafka.consumer({ groupId: `${stack.prefix}.dvv-test` });
    await consumer.connect();
    await consumer.subscribe({ topic: `${stack.prefix}.${TOPICS.customers}`, fromBeginning: true });
    await consumer.run({
      eachMessage: ({ message }) => {
        events.push({ key: message.key?.toString() ?? '', value: message.value?.toString() ?? '' });
        return Promise.resolve();
      },
    });
  });
  afterAll(async () => {
    await consumer?.disconnect();
    await stack?.close();
  });

  it('refuses an unknown ban value (400 naming the field), nothing written', async () => {
    const res = await create({ name: 'Väärä Arvo', populationRegisterBans: ['everything'] });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain('populationRegisterBans');
  });

  it('direct-marketing: post is suppressed for every purpose, other channels are not; partners see opt-out', async () => {
    const email = `dvv-dm-${run}@example.fi`;
    const created = await create({
      name: 'Kielto Kaisa',
      emails: [email],
      address,
      populationRegisterBans: ['direct-marketing'],
    });
    expect(created.status).toBe(201);
    expect(created.body.populationRegisterBans).toEqual(['direct-marketing']);
    const answer = await eventuallySuppressed({
      channel: 'post',
      purpose: 'own-marketing',
      customerId: created.body.id,
    });
    expect(answer.body.reasons).toEqual([expect.objectContaining({ code: 'population-register-ban', rule: 'R4' })]);
    expect((await check({ channel: 'post', purpose: 'market-research', email })).body.decision).toBe('suppress');
    expect((await check({ channel: 'phone', purpose: 'own-marketing', email })).body.decision).toBe('allow');
    // A postal check by name and address finds the customer too.
    const postal = await check({
      channel: 'post',
      purpose: 'partner-marketing',
      name: 'Kaisa Kielto',
      street,
      postalCode: '00100',
    });
    expect(postal.body.reasons.map((r: { code: string }) => r.code)).toEqual(['population-register-ban']);
    const partner = await check(
      { channel: 'post', purpose: 'partner-marketing', emailHash: hasher.hash(normaliseEmail(email)!) },
      'partner',
    );
    expect(partner.body.reasons).toEqual([{ code: 'opt-out', since: null }]);

    // Lifting the ban (an empty list) allows post again.
    await customers()
      .patch(`/v1/customers/${created.body.id}`)
      .set(bearer('staff'))
      .send({ populationRegisterBans: [] })
      .expect(200);
    await eventually(
      async () => (await check({ channel: 'post', purpose: 'own-marketing', email })).body.decision === 'allow',
      20_000,
      'post allowed after the ban is lifted',
    );
  });

  it('safety: never listed, the address in no event and no answer but the own export, post suppressed', async () => {
    const phone = `+35850${String(parseInt(run, 16) % 10_000_000).padStart(7, '0')}`;
    const listed = await create({
      name: 'Näkyvä Niilo',
      address: { ...address, street: `Julkinen tie ${run.length}` },
    });
    const safeStreet = `Salainen polku ${parseInt(run, 16) % 900} A 1`;
    const safe = await create({
      name: 'Turva Tuula',
      phones: [phone],
      address: { ...address, street: safeStreet },
      populationRegisterBans: ['safety'],
    });
    expect(safe.status).toBe(201);
    expect(safe.body.address).toBeUndefined();
    const read = await customers().get(`/v1/customers/${safe.body.id}`).set(bearer('staff')).expect(200);
    expect(read.body.address).toBeUndefined();
    expect(JSON.stringify(read.body)).not.toContain(safeStreet);
    const own = await customers().get(`/v1/customers/${safe.body.id}/export`).set(bearer('dpo')).expect(200);
    expect(JSON.stringify(own.body)).toContain(safeStreet);

    await eventuallySuppressed({ channel: 'post', purpose: 'own-marketing', customerId: safe.body.id });

    // The directory lists the other customer, never the safety-banned one.
    const exported = await eventually(
      async () => {
        const res = await request(stack.urls['directory-bans'])
          .get('/v1/directory/export')
          .query({ outlet: 'online' })
          .set(bearer('staff'));
        return res.status === 200 && res.text.includes(listed.body.id) && res.text;
      },
      20_000,
      'the directory export to list the other customer',
    );
    expect(exported).not.toContain(safe.body.id);
    expect(exported).not.toContain(safeStreet);

    // No customer event of the safety-banned customer carries the address (listing included).
    const ofSafe = await eventually(
      () =>
        Promise.resolve(
          events.filter((e) => e.key === safe.body.id).length > 0 && events.filter((e) => e.key === safe.body.id),
        ),
      20_000,
      'the customer event',
    );
    for (const e of ofSafe) {
      expect(e.value).not.toContain(safeStreet);
      expect(JSON.parse(e.value).data.populationRegisterBans).toEqual(['safety']);
    }
  });
});
