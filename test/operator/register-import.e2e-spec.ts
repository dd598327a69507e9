import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import type { ServiceApp } from '@kielto/platform';
import { importedCustomerId } from '@kielto/contracts';
import { bearer, eventually, KEYS, startStack, Stack } from '../support/stack';
import { dropTestData, runCli } from './operator-support';

/**
 * Loading a legacy register (issue 20 item 4) through `kielto import customers|consents|bans` (and DVV refresh files,
 * `kielto import population-register-bans`, issue 17 part 3) against the real
 * stack: the files are validated whole first, the rows go in idempotent batches, and the events are those of single
 * writes — suppression answers from them, and a suppression instance rebuilt from the topics holds the same state.
 */
interface Digest {
  sha256: string;
  counts: Record<string, number>;
  asOf: string | null;
  lag: number;
}

const SLOW = 240_000;
const staff = { KIELTO_API_KEY: KEYS.staff };

const customers = [
  {
    ref: 'L-1',
    kind: 'person',
    name: 'Matti Meikäläinen',
    personalIdentityCode: '131052-308T',
    emails: ['matti@example.fi'],
    phones: ['040 111 2222'],
    activeContract: true,
    products: ['mobile-subscription'],
    customerSince: '2015-03-01T00:00:00Z',
  },
  {
    ref: 'L-2',
    kind: 'organization',
    name: 'Yritys Oy',
    businessId: '0112038-9',
    emails: ['info@yritys.fi'],
    contactPersons: [{ name: 'Maija Kontakti', email: 'maija@yritys.fi', phone: '040 333 4444', title: 'CTO' }],
    activeContract: true,
    customerSince: '2016-01-01T00:00:00Z',
  },
  {
    ref: 'L-3',
    kind: 'person',
    name: 'Pekka Prospekti',
    emails: ['pekka@example.fi'],
    customerSince: '2018-06-01T00:00:00Z',
  },
];

const consentsCsv = [
  'customerRef,email,phone,channel,purpose,decision,source,recordedAt,noticeVersion,reference',
  'L-1,,,email,partner-marketing,grant,legacy-crm,2019-01-01T10:00:00Z,notice-2018,old-1',
  'L-1,,,email,own-marketing,withdraw,legacy-crm,2020-02-02T10:00:00Z,,old-2',
  ',maija@yritys.fi,,all,all,prohibit,legacy-crm,2021-03-03T10:00:00Z,,old-3',
  'L-3,,,email,own-marketing,grant,legacy-crm,2019-05-05T10:00:00Z,notice-2018,old-4',
  ',,040 999 8888,phone,all,withdraw,legacy-crm,2017-07-07T10:00:00Z,,old-5',
];

const bansCsv = [
  'customerRef,scope,hiddenFields,outlets,reason',
  'L-1,full,,,legacy ban',
  'L-2,partial,address;phone,,',
];

describe('kielto import customers|consents|bans: loading a legacy register', () => {
  let stack: Stack;
  let dir: string;
  let replica: ServiceApp | undefined;

  beforeAll(async () => {
    stack = await startStack(['suppression', 'consents', 'directory-bans', 'customers']);
    dir = await mkdtemp(path.join(tmpdir(), 'kielto-register-'));
  }, SLOW);

  afterAll(async () => {
    await replica?.app.close();
    await stack?.close();
    if (stack) await dropTestData(stack.prefix);
    if (dir) await rm(dir, { recursive: true, force: true });
  }, SLOW);

  const check = (query: Record<string, string>) =>
    request(stack.urls.suppression).get('/v1/suppression/check').query(query).set(bearer('marketing'));
  const digestOf = async (url: string) =>
    (await request(url).get('/v1/suppression/state/digest').set(bearer('admin')).expect(200)).body as Digest;

  it('refuses a file with a bad line whole, naming the line and field, and imports nothing', async () => {
    const file = path.join(dir, 'bad-consents.csv');
    const bad = [...consentsCsv, 'L-1,,,email,own-marketing,grant,legacy-crm,2999-01-01T00:00:00Z,,'];
    bad.splice(2, 0, 'L-1,,,pigeon,own-marketing,grant,legacy-crm,2019-01-01T00:00:00Z,,');
    await writeFile(file, `${bad.join('\n')}\n`);
    const run = await runCli(stack, ['import', 'consents', file], staff);
    expect(run.code).toBe(65);
    expect(run.stderr).toMatch(/line 3: channel: channel must be one of/);
    expect(run.stderr).toMatch(/line 8: recordedAt: recordedAt must not be in the future/);
    expect(run.stderr).toMatch(/Nothing was imported/);
    const ledger = await request(stack.urls.consents)
      .get('/v1/consents')
      .query({ customerId: importedCustomerId('L-1') })
      .set(bearer('staff'))
      .expect(200);
    expect(ledger.body.history).toEqual([]);
  });

  it(
    'imports customers, consent history with its original times and bans; a re-run skips everything',
    async () => {
      const customersFile = path.join(dir, 'customers.ndjson');
      await writeFile(customersFile, customers.map((c) => JSON.stringify(c)).join('\n') + '\n');
      const consentsFile = path.join(dir, 'consents.csv');
      await writeFile(consentsFile, `${consentsCsv.join('\n')}\n`);
      const bansFile = path.join(dir, 'bans.csv');
      await writeFile(bansFile, `${bansCsv.join('\n')}\n`);

      const imported = await runCli(
        stack,
        ['import', 'customers', customersFile, '--json', '--batch-size', '2'],
        staff,
      );
      expect(imported.stderr).toMatch(/import customers .*3\/3 customers/);
      expect(imported.code).toBe(0);
      expect(JSON.parse(imported.stdout)).toMatchObject({
        rows: 3,
        imported: 3,
        alreadyPresent: 0,
        failed: 0,
        batches: 2,
      });
      const consents = await runCli(stack, ['import', 'consents', consentsFile], staff);
      expect(consents.code).toBe(0);
      expect(consents.stdout).toMatch(/^Imported 5 entries from consents\.csv \(0 already present, 0 failed\)/m);
      const bans = await runCli(stack, ['import', 'bans', bansFile, '--json'], staff);
      expect(JSON.parse(bans.stdout)).toMatchObject({ imported: 2, alreadyPresent: 0 });

      // Resumable: running a file again skips what is held (deterministic ids), whatever the batching.
      const again = await runCli(stack, ['import', 'customers', customersFile, '--json'], staff);
      expect(JSON.parse(again.stdout)).toMatchObject({ rows: 3, imported: 0, alreadyPresent: 3 });
      const consentsAgain = await runCli(
        stack,
        ['import', 'consents', consentsFile, '--json', '--batch-size', '3'],
        staff,
      );
      expect(JSON.parse(consentsAgain.stdout)).toMatchObject({ imported: 0, alreadyPresent: 5 });

      // The customer as a single create makes it: identity code sealed (masked here), found by its keyed hash.
      const matti = importedCustomerId('L-1');
      const view = await request(stack.urls.customers).get(`/v1/customers/${matti}`).set(bearer('staff')).expect(200);
      expect(view.body).toMatchObject({ personalIdentityCode: '**********T', phones: ['+358401112222'] });
      const found = await request(stack.urls.customers)
        .post('/v1/customers/search')
        .send({ personalIdentityCode: '131052-308T' })
        .set(bearer('dpo'))
        .expect(200);
      expect(found.body.map((c: { id: string }) => c.id)).toEqual([matti]);
      const ledger = await request(stack.urls.consents)
        .get('/v1/consents')
        .query({ customerId: matti })
        .set(bearer('staff'))
        .expect(200);
      expect(ledger.body.history.map((e: { recordedAt: string }) => e.recordedAt)).toEqual([
        '2019-01-01T10:00:00.000Z',
        '2020-02-02T10:00:00.000Z',
      ]);
      expect(ledger.body.history[0].evidence).toMatchObject({ noticeVersion: 'notice-2018', reference: 'old-1' });

      // Suppression answers from the imported history as from single writes.
      const answer = async (query: Record<string, string>, decision: string, code?: string) => {
        const res = await eventually(async () => {
          const r = await check(query);
          return r.status === 200 && r.body.decision === decision && r;
        });
        if (code) expect(res.body.reasons.map((r: { code: string }) => r.code)).toContain(code);
      };
      await answer(
        { channel: 'email', purpose: 'own-marketing', email: 'matti@example.fi' },
        'suppress',
        'consent-withdrawn',
      );
      await answer({ channel: 'email', purpose: 'partner-marketing', email: 'matti@example.fi' }, 'allow');
      await answer(
        { channel: 'phone', purpose: 'partner-marketing', phone: '040 111 2222' },
        'suppress',
        'directory-ban',
      );
      await answer({ channel: 'email', purpose: 'own-marketing', email: 'maija@yritys.fi' }, 'suppress', 'prohibited');
      await answer({ channel: 'email', purpose: 'own-marketing', email: 'info@yritys.fi' }, 'allow');
      await answer({ channel: 'email', purpose: 'own-marketing', email: 'pekka@example.fi' }, 'allow');
      await answer(
        { channel: 'phone', purpose: 'own-marketing', phone: '040 999 8888' },
        'suppress',
        'consent-withdrawn',
      );

      // A suppression instance rebuilt from the topics alone holds exactly the same state.
      const live = await digestOf(stack.urls.suppression);
      const saved = { db: process.env.MONGODB_DB_PREFIX, id: process.env.SUPPRESSION_INSTANCE_ID };
      process.env.MONGODB_DB_PREFIX = `${stack.prefix}-rebuilt`;
      process.env.SUPPRESSION_INSTANCE_ID = `${stack.prefix}-rebuilt`;
      try {
        const { start } = (await import('../../apps/suppression/src/service')) as {
          start(port?: number): Promise<ServiceApp>;
        };
        replica = await start(0);
      } finally {
        process.env.MONGODB_DB_PREFIX = saved.db;
        process.env.SUPPRESSION_INSTANCE_ID = saved.id;
      }
      const rebuilt = await eventually(
        async () => {
          const d = await digestOf(replica!.url);
          return d.lag === 0 && d.sha256 === live.sha256 && d;
        },
        60_000,
        'the rebuilt instance to reach the live digest',
      );
      expect(rebuilt.counts).toEqual(live.counts);
    },
    SLOW,
  );

  it(
    'kielto import population-register-bans: a DVV refresh file by customer number',
    async () => {
      const pirjo = await request(stack.urls.customers)
        .post('/v1/customers')
        .set(bearer('staff'))
        .send({
          kind: 'person',
          name: 'Postikielto Pirjo',
          activeContract: true,
          address: { street: 'Kujatie 1', postalCode: '00100', city: 'Helsinki', country: 'FI' },
        })
        .expect(201);
      const file = path.join(dir, 'dvv.csv');
      await writeFile(file, `customerNumber,populationRegisterBans\n${pirjo.body.customerNumber},direct-marketing\n`);
      const bad = path.join(dir, 'dvv-bad.csv');
      await writeFile(bad, `customerNumber,populationRegisterBans\n${pirjo.body.customerNumber},everything\n`);
      const refused = await runCli(stack, ['import', 'population-register-bans', bad], staff);
      expect(refused.code).toBe(65);
      expect(refused.stderr).toMatch(/line 2: populationRegisterBans/);

      const run = await runCli(stack, ['import', 'population-register-bans', file, '--json'], staff);
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ rows: 1, imported: 1, failed: 0 });
      const answer = await eventually(async () => {
        const r = await check({ channel: 'post', purpose: 'own-marketing', customerId: pirjo.body.id });
        return r.status === 200 && r.body.decision === 'suppress' && r;
      });
      expect(answer.body.reasons.map((r: { code: string }) => r.code)).toEqual(['population-register-ban']);
    },
    SLOW,
  );
});
