import { randomBytes } from 'node:crypto';
import { Consumer, Kafka, logLevel } from 'kafkajs';
import request from 'supertest';
import { IdentifierHasher } from '@kielto/platform';
import { normaliseEmail, TOPICS } from '@kielto/contracts';
import { generateCustomerNumber } from '../apps/customers/src/customers/customer-number';
import { bearer, eventually, KEYS, PARTNER_HASH_KEY, startStack, Stack } from './support/stack';

/**
 * DVV (population register) bans on customers (issue 17, part 3; docs/CONTRACT.md §3.9), through the public API and
 * the topics: `direct-marketing` stops post for every purpose (reason population-register-ban, partners see opt-out);
 * `safety` also keeps the customer out of the directory, the address out of every event and every answer but the
 * subject's own export. DVV refresh files bring the bans in by customer number (NDJSON import).
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

  it('imports bans from a DVV refresh file by customer number, through the PATCH path: suppression and the directory follow', async () => {
    const dm = await create({ name: 'Tuonti Taina', address: { ...address, street: `Tuontitie ${run}` } });
    const safeStreet = `Piilokuja ${parseInt(run, 16) % 900} B 2`;
    const safe = await create({ name: 'Tuonti Tapani', address: { ...address, street: safeStreet } });
    const listed = await create({ name: 'Näkyvä Nelli', address: { ...address, street: `Avoin tie ${run}` } });
    for (const c of [dm, safe, listed]) expect(c.status).toBe(201);
    const exportText = async () => {
      const res = await request(stack.urls['directory-bans'])
        .get('/v1/directory/export')
        .query({ outlet: 'online' })
        .set(bearer('staff'));
      return res.status === 200 ? res.text : '';
    };
    // Before the import the customer to be safety-banned is listed like any other.
    await eventually(
      async () => (await exportText()).includes(safe.body.id),
      20_000,
      'the customer listed before the import',
    );
    const importBans = (lines: string[], query: Record<string, string> = {}, key?: string) => {
      const call = customers()
        .post('/v1/customers/population-register-bans/import')
        .query(query)
        .set(bearer('staff'))
        .set('content-type', 'application/x-ndjson');
      return (key ? call.set('idempotency-key', key) : call).send(lines.join('\n') + '\n');
    };
    const row = (customerNumber: string, populationRegisterBans: unknown) =>
      JSON.stringify({ customerNumber, populationRegisterBans });
    const bansOf = async (id: string) =>
      (await customers().get(`/v1/customers/${id}`).set(bearer('staff')).expect(200)).body.populationRegisterBans;

    // Bad rows are listed with their lines and nothing is imported: an unknown ban value, an unknown customer
    // number, a malformed number, a line that is no JSON.
    const file = [
      row(dm.body.customerNumber, ['direct-marketing']),
      row(safe.body.customerNumber, ['everything']),
      row(generateCustomerNumber(), ['safety']),
      row('K123', ['safety']),
      '{not json',
    ];
    const refused = await importBans(file);
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ line: 2, field: 'populationRegisterBans' }),
        expect.objectContaining({ line: 4, field: 'customerNumber' }),
        expect.objectContaining({ line: 5 }),
      ]),
    );
    // The unknown customer number is a row error as well, once the rows themselves are valid.
    const unknown = await importBans([file[0], file[2]]);
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors).toEqual([
      { line: 2, field: 'customerNumber', message: 'no customer has this customerNumber' },
    ]);
    const good = [
      row(dm.body.customerNumber, ['direct-marketing']),
      row(safe.body.customerNumber.toLowerCase(), ['safety']),
    ];
    const byMarketing = await customers()
      .post('/v1/customers/population-register-bans/import')
      .set(bearer('marketing'))
      .set('content-type', 'application/x-ndjson')
      .send(good.join('\n'));
    expect(byMarketing.status).toBe(403);
    const dry = await importBans(good, { dryRun: 'true' });
    expect(dry.status).toBe(201);
    expect(dry.body).toEqual(expect.objectContaining({ rows: 2, imported: 0 }));
    expect(await bansOf(dm.body.id)).toBeUndefined();
    expect(await bansOf(safe.body.id)).toBeUndefined();

    const imported = await importBans(good, {}, `dvv-${run}:1`);
    expect(imported.status).toBe(201);
    expect(imported.body).toEqual(
      expect.objectContaining({ rows: 2, imported: 2, alreadyPresent: 0, replayed: false }),
    );
    expect(await bansOf(dm.body.id)).toEqual(['direct-marketing']);
    expect(await bansOf(safe.body.id)).toEqual(['safety']);
    // The same file again changes nothing.
    const again = await importBans(good, {}, `dvv-${run}:1`);
    expect(again.body).toEqual(expect.objectContaining({ rows: 2, imported: 2, replayed: true }));
    // The import is a rectification like PATCH: recorded on the customer with the fields, never the values.
    const dmNow = await customers().get(`/v1/customers/${dm.body.id}`).set(bearer('staff')).expect(200);
    expect(dmNow.body.version).toBe(dm.body.version + 1);

    for (const customer of [dm, safe]) {
      const answer = await eventuallySuppressed({
        channel: 'post',
        purpose: 'own-marketing',
        customerId: customer.body.id,
      });
      expect(answer.body.reasons).toEqual([expect.objectContaining({ code: 'population-register-ban', rule: 'R4' })]);
    }
    // The safety-banned customer leaves the directory listing; the other customers stay.
    const after = await eventually(
      async () => {
        const text = await exportText();
        return text.includes(listed.body.id) && !text.includes(safe.body.id) && text;
      },
      20_000,
      'the safety-banned customer to leave the directory export',
    );
    expect(after).not.toContain(safeStreet);
  });
});
