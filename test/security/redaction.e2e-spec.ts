import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { startProcesses, ServiceProcesses } from '../support/processes';
import { KEYS } from '../support/stack';

/**
 * Privacy by construction, proven: the services run as real processes at debug log level, receive writes full of
 * personal data (valid and invalid), and afterwards no log line and no Kafka message holds that data — except
 * the directory listing (name, published phone, address) on the internal customers topic, which directory outlets
 * need by contract (R9).
 */
describe('personal data never reaches logs or Kafka', () => {
  const prefix = `tred${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const tag = randomBytes(3).toString('hex');
  const person = {
    name: `Aino Salainen${tag}`,
    email: `aino.${tag}@example.fi`,
    phone: '040 765 4321',
    e164: '+358407654321',
    hetu: '131052-308T',
    street: `Salaisenkatu ${tag} B 12`,
  };
  const contact = {
    name: `Kalle Yhteys${tag}`,
    email: `kalle.${tag}@example.fi`,
    phone: '050 111 2233',
    e164: '+358501112233',
  };
  const bare = { email: `bare.${tag}@example.org`, phone: '044 999 8877', e164: '+358449998877' };
  let services: ServiceProcesses;

  beforeAll(async () => {
    services = await startProcesses(['customers', 'consents', 'directory-bans', 'suppression'], prefix, {
      LOG_LEVEL: 'debug',
    });
  }, 240_000);
  afterAll(() => services?.stop());

  const call = async (
    service: keyof ServiceProcesses['urls'],
    method: string,
    path: string,
    body?: unknown,
    role: keyof typeof KEYS = 'staff',
  ) => {
    const res = await fetch(services.urls[service] + path, {
      method,
      headers: {
        authorization: `Bearer ${KEYS[role]}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, text };
  };

  it('keeps identity codes, e-mails, phones and contact persons out of every log line and Kafka message', async () => {
    // Invalid input carrying personal data: rejected without echoing it.
    const bad = await call('customers', 'POST', '/v1/customers', {
      kind: 'person',
      name: person.name,
      personalIdentityCode: '131052-308X',
      emails: ['not-an-email'],
    });
    expect(bad.status).toBe(400);
    expect(bad.text).not.toContain('131052-308X');

    const created = await call('customers', 'POST', '/v1/customers', {
      kind: 'person',
      name: person.name,
      personalIdentityCode: person.hetu,
      emails: [person.email],
      phones: [person.phone],
      address: { street: person.street, postalCode: '00100', city: 'Helsinki', country: 'FI' },
      activeContract: false,
    });
    expect(created.status).toBe(201);
    const id = String(created.body.id);
    const org = await call('customers', 'POST', '/v1/customers', {
      kind: 'organization',
      name: `Yhtiö ${tag} Oy`,
      businessId: '0112038-9',
      emails: [`info.${tag}@example.com`],
      contactPersons: [{ name: contact.name, email: contact.email, phone: contact.phone, title: 'CTO' }],
    });
    expect(org.status).toBe(201);

    expect((await call('customers', 'PATCH', `/v1/customers/${id}`, { language: 'sv' })).status).toBe(200);
    expect(
      (await call('customers', 'GET', `/v1/customers?email=${encodeURIComponent(person.email.toUpperCase())}`)).status,
    ).toBe(200);
    for (const subject of [
      { email: person.email },
      { phone: person.phone },
      { customerId: id },
      { email: bare.email },
      { phone: bare.phone },
      { email: contact.email },
    ]) {
      const r = await call('consents', 'POST', '/v1/consents', {
        ...subject,
        channel: 'email',
        purpose: 'all',
        decision: 'grant',
        source: 'web-form',
      });
      expect(r.status).toBe(201);
    }
    expect(
      (
        await call('consents', 'POST', '/v1/consents', {
          email: bare.email,
          channel: 'all',
          purpose: 'all',
          decision: 'prohibit',
          source: 'phone-call',
        })
      ).status,
    ).toBe(201);
    expect(
      (await call('directory-bans', 'PUT', `/v1/directory-bans/${id}`, { scope: 'partial', hiddenFields: ['address'] }))
        .status,
    ).toBeLessThan(300);
    expect(
      (
        await call('suppression', 'POST', '/v1/suppression/entries', {
          email: bare.email,
          channel: 'email',
          reason: 'bounce',
        })
      ).status,
    ).toBe(201);
    await call(
      'suppression',
      'GET',
      `/v1/suppression/check?channel=email&purpose=own-marketing&email=${encodeURIComponent(person.email)}`,
      undefined,
      'marketing',
    );
    await call(
      'suppression',
      'GET',
      `/v1/suppression/check?channel=sms&purpose=own-marketing&phone=${encodeURIComponent(bare.phone)}`,
      undefined,
      'marketing',
    );
    await call(
      'suppression',
      'POST',
      '/v1/suppression/check',
      {
        channel: 'email',
        purpose: 'own-marketing',
        contacts: [
          { ref: '1', email: contact.email },
          { ref: '2', phone: contact.phone },
        ],
      },
      'marketing',
    );
    expect(
      (await call('customers', 'PUT', `/v1/customers/${id}/restriction`, { reason: 'rectification pending' })).status,
    ).toBeLessThan(300);
    expect(
      (await call('customers', 'DELETE', `/v1/customers/${id}/restriction`, { reason: 'done' })).status,
    ).toBeLessThan(300);
    const exported = await call('customers', 'GET', `/v1/customers/${id}/export`);
    expect(exported.status).toBe(200);
    expect(exported.text).toContain(person.hetu); // only the data subject's own export holds it in clear
    expect((await call('customers', 'DELETE', `/v1/customers/${id}`)).status).toBe(202);

    // Wait until suppression has seen the erasure, so every topic holds the whole story.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const r = await call(
        'suppression',
        'GET',
        `/v1/suppression/check?channel=email&purpose=own-marketing&email=${encodeURIComponent(person.email)}`,
        undefined,
        'marketing',
      );
      if ((r.body.reasons as { code: string }[] | undefined)?.some((x) => x.code === 'erased')) break;
      if (Date.now() > deadline) throw new Error('erasure did not reach suppression');
      await new Promise((res) => setTimeout(res, 100));
    }

    const everywhere = [
      person.hetu,
      person.hetu.replace('-', ''),
      person.email,
      person.email.toUpperCase(),
      contact.email,
      bare.email,
      contact.name,
      contact.e164,
      contact.phone,
      bare.e164,
      bare.phone,
    ];
    const logs = services.output.join('\n');
    expect(services.output.length).toBeGreaterThan(20); // debug logging really happened
    for (const secret of [...everywhere, person.name, person.street, person.e164, person.phone]) {
      expect({ secret, inLogs: logs.includes(secret) }).toEqual({ secret, inLogs: false });
    }

    const messages = await readAllTopics(prefix);
    expect(messages.length).toBeGreaterThan(10);
    for (const m of messages) {
      for (const secret of everywhere)
        expect({ topic: m.topic, secret, found: m.text.includes(secret) }).toEqual({
          topic: m.topic,
          secret,
          found: false,
        });
      if (!m.topic.endsWith('kielto.customers.v1')) {
        // The directory listing is the only place a name, published phone and address may travel.
        for (const secret of [person.name, person.street, person.e164])
          expect({ topic: m.topic, secret, found: m.text.includes(secret) }).toEqual({
            topic: m.topic,
            secret,
            found: false,
          });
      }
    }
  });
});

async function readAllTopics(prefix: string): Promise<{ topic: string; text: string }[]> {
  const kafka = new Kafka({
    clientId: 'redaction-scan',
    brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${prefix}.`));
  const ends = new Map<string, number>();
  for (const topic of topics)
    for (const p of await admin.fetchTopicOffsets(topic)) ends.set(`${topic}:${p.partition}`, Number(p.high));
  await admin.disconnect();
  const total = [...ends.values()].reduce((a, b) => a + b, 0);
  const consumer = kafka.consumer({ groupId: `${prefix}-scan` });
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  const seen: { topic: string; text: string }[] = [];
  await new Promise<void>((resolve) => {
    if (total === 0) return resolve();
    void consumer.run({
      eachMessage: ({ topic, message }) => {
        seen.push({
          topic,
          text: `${message.key?.toString() ?? ''} ${message.value?.toString() ?? ''} ${JSON.stringify(message.headers ?? {})}`,
        });
        if (seen.length >= total) resolve();
        return Promise.resolve();
      },
    });
  });
  await consumer.disconnect();
  return seen;
}
