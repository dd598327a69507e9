import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { bearer, eventually, KEYS, startStack, Stack } from '../support/stack';
import { dropTestData, runCli } from './operator-support';

const ROWS = 100_000;
/** The two 100 000-row runs take a minute or two on an idle machine; allow for a busy CI host. */
const SLOW = 900_000;
/**
 * Measured on a 2-core host: a 10 000-entry batch takes ~6 s when idle, and all 100 000 entries took 8 minutes at a
 * load average of ~10 (the service's import slows as its list grows). The re-run (everything already held) takes
 * seconds.
 */
const IMPORT_SLOW = 1_500_000;
/** The i-th number of the Robinson extract (E.164), and of campaign numbers not in it. */
const listed = (i: number) => `+35840${1_000_000 + i}`;
const unlisted = (i: number) => `+35840${2_000_000 + i}`;
/** The same number as a Finnish local one, as campaign files usually have them. */
const local = (e164: string) => `0${e164.slice(4, 6)} ${e164.slice(6)}`;

describe('kielto CLI: bulk import, campaign clearance, export and status against running services', () => {
  let stack: Stack;
  let dir: string;
  const staff = { KIELTO_API_KEY: KEYS.staff };

  beforeAll(async () => {
    // Customers last: its data-subject export reads the other services' URLs, set as each one starts.
    stack = await startStack(['suppression', 'consents', 'directory-bans', 'customers'], {
      KIELTO_SERVICE_KEY: KEYS.admin,
    });
    dir = await mkdtemp(path.join(tmpdir(), 'kielto-cli-'));
  }, SLOW);
  afterAll(async () => {
    await stack?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
    if (stack) await dropTestData(stack.prefix);
  }, SLOW);

  const check = (phone: string) =>
    request(stack.urls.suppression)
      .get('/v1/suppression/check')
      .query({ channel: 'phone', purpose: 'partner-marketing', phone })
      .set(bearer('marketing'));

  it('explains itself with --help', async () => {
    const run = await runCli(undefined, ['--help']);
    expect(run.code).toBe(0);
    for (const command of ['import', 'clear', 'export', 'status'])
      expect(run.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    expect(run.stdout).toMatch(/KIELTO_API_KEY/);
    const clearHelp = await runCli(undefined, ['clear', '--help']);
    expect(clearHelp.stdout).toMatch(/--purpose <purpose>/);
  });

  it('rejects a bad CSV whole, naming each bad line, and imports nothing', async () => {
    const file = path.join(dir, 'bad.csv');
    const fresh = (i: number) => `+35840${3_000_000 + i}`;
    const lines = ['email,phone'];
    for (let i = 0; i < 1000; i++) lines.push(`,${fresh(i)}`);
    lines[56] = ',not-a-phone'; // file line 57
    lines[299] = ','; // file line 300: no identifier
    lines[499] = `bounce.${Date.now()}@example.fi,`; // fine for robinson
    await writeFile(file, `${lines.join('\n')}\n`);

    const run = await runCli(stack, ['import', file, '--reason', 'robinson', '--channel', 'phone'], staff);
    expect(run.code).toBe(65);
    expect(run.stderr).toMatch(/bad\.csv has 2 errors\. Nothing was imported/);
    expect(run.stderr).toMatch(/line 57: column phone: not a valid phone number/);
    expect(run.stderr).toMatch(/line 300: no email or phone/);
    expect(run.stderr).not.toMatch(/not-a-phone/); // values are personal data: never echoed
    for (const phone of [fresh(0), fresh(998)]) {
      const entries = await request(stack.urls.suppression)
        .get('/v1/suppression/entries')
        .query({ phone })
        .set(bearer('staff'));
      expect(entries.status).toBe(200);
      expect(entries.body).toEqual([]);
    }
  });

  it('rejects a bad NDJSON file and a CSV it cannot parse with their line numbers', async () => {
    const ndjson = path.join(dir, 'bad.ndjson');
    await writeFile(
      ndjson,
      [
        '{"email":"a@example.fi","channel":"email","reason":"bounce"}',
        '',
        '{"email":"b@example.fi", "channel":',
        '{"phone":"+358401234567","channel":"phone","reason":"robinson"}',
        '{"phone":"+358401234568","channel":"phone","reason":"holiday"}',
        '{"phone":"+358401234569","name":"x","reason":"robinson","channel":"phone"}',
      ].join('\n'),
    );
    const run = await runCli(stack, ['import', ndjson], staff);
    expect(run.code).toBe(65);
    expect(run.stderr).toMatch(/line 3: not valid JSON/);
    expect(run.stderr).toMatch(/line 5: reason: must be one of bounce, complaint, robinson, manual/);
    expect(run.stderr).toMatch(/line 6: unknown properties name/);

    const broken = path.join(dir, 'broken.csv');
    await writeFile(broken, 'phone,name\n+358401234567,ok\n+358401234568,"unterminated\n+358401234569,x\n');
    const unreadable = await runCli(stack, ['import', broken, '--reason', 'robinson', '--channel', 'phone'], staff);
    expect(unreadable.code).toBe(65);
    expect(unreadable.stderr).toMatch(/cannot be read: line \d+: a quoted field is not closed\. Nothing was sent/);
  });

  it('clears nothing and records no clearance when a campaign row cannot be checked', async () => {
    const file = path.join(dir, 'bad-campaign.csv');
    await writeFile(file, 'email,name\nok@example.fi,A\nnot an address,B\n,C\n');
    const run = await runCli(
      stack,
      [
        'clear',
        'autumn-2026',
        file,
        '--channel',
        'email',
        '--purpose',
        'own-marketing',
        '--out',
        path.join(dir, 'autumn'),
      ],
      { KIELTO_API_KEY: KEYS.marketing },
    );
    expect(run.code).toBe(65);
    expect(run.stderr).toMatch(/line 3: column email: not a valid e-mail address/);
    expect(run.stderr).toMatch(/line 4: no email to check the email channel by/);
    const stored = await request(stack.urls.suppression)
      .get('/v1/campaigns/autumn-2026/clearances')
      .set(bearer('marketing'));
    expect(stored.body).toEqual([]);
  });

  it('clears a phone campaign for a mobile subscription under §201 with --product (R10)', async () => {
    const file = path.join(dir, 'mobile-campaign.csv');
    await writeFile(file, `phone,name\n+35840${Date.now() % 10_000_000}1,A\n`);
    const out = path.join(dir, 'mobile');
    const args = ['clear', 'mobile-2026', file, '--channel', 'phone', '--purpose', 'partner-marketing', '--out', out];
    const run = await runCli(stack, [...args, '--product', 'mobile-subscription'], { KIELTO_API_KEY: KEYS.marketing });
    expect(run.code).toBe(0);
    expect(await readFile(path.join(out, 'suppressed.csv'), 'utf8')).toMatch(/mobile-telemarketing-ban/);
    const stored = await request(stack.urls.suppression)
      .get('/v1/campaigns/mobile-2026/clearances')
      .set(bearer('marketing'));
    expect(stored.body[0]).toMatchObject({ product: 'mobile-subscription', suppressed: 1, allowed: 0 });
    const bad = await runCli(stack, [...args, '--product', 'car'], { KIELTO_API_KEY: KEYS.marketing });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/product/);
  });

  it('clears a post campaign by name and address: a customer at that address who refused post is suppressed', async () => {
    const street = `Kirjekatu ${Date.now() % 100_000} B 7`;
    const created = await request(stack.urls.customers)
      .post('/v1/customers')
      .set(bearer('staff'))
      .send({
        kind: 'person',
        name: 'Kirsi Kirje',
        address: { street, postalCode: '00500', city: 'Helsinki', country: 'FI' },
        activeContract: true,
      });
    expect(created.status).toBe(201);
    const refused = await request(stack.urls.consents)
      .post('/v1/consents')
      .set(bearer('staff'))
      .send({
        customerId: (created.body as { id: string }).id,
        channel: 'post',
        purpose: 'own-marketing',
        decision: 'prohibit',
        source: 'customer-service',
      });
    expect(refused.status).toBe(201);
    const file = path.join(dir, 'post-campaign.csv');
    // The same person and address as the campaign list writes them: other case, the street abbreviated.
    await writeFile(
      file,
      `name,street,postalCode,city\nKIRJE KIRSI,${street.replace('katu', 'k.')},00500,HELSINKI\nPertti Posti,Postitie 1,00500,\n`,
    );
    const out = path.join(dir, 'post');
    const args = ['clear', 'post-2026', file, '--channel', 'post', '--purpose', 'own-marketing', '--out', out];
    await eventually(async () => {
      const run = await runCli(stack, args, { KIELTO_API_KEY: KEYS.marketing });
      expect(run.code).toBe(0);
      const suppressed = await readFile(path.join(out, 'suppressed.csv'), 'utf8');
      expect(suppressed).toMatch(/^KIRJE KIRSI,.*prohibited/m);
      return true;
    });
    expect(await readFile(path.join(out, 'allowed.csv'), 'utf8')).toBe(
      'name,street,postalCode,city\nPertti Posti,Postitie 1,00500,\n',
    );
  });

  it("exports a data subject's data as JSON", async () => {
    const created = await request(stack.urls.customers)
      .post('/v1/customers')
      .set(bearer('staff'))
      .send({ kind: 'person', name: 'Export Testinen', emails: [`export.${Date.now()}@example.fi`] });
    expect(created.status).toBe(201);
    const id = (created.body as { id: string }).id;

    // Identity codes in clear: the export is the dpo role's (issue 19); a staff key is refused.
    expect((await runCli(stack, ['export', id], staff)).stderr).toMatch(/403/);
    const dpo = { KIELTO_API_KEY: KEYS.dpo };
    const run = await runCli(stack, ['export', id], dpo);
    expect(run.code).toBe(0);
    const exported = JSON.parse(run.stdout) as { customer: { id: string; name: string }; consents: unknown };
    expect(exported.customer).toMatchObject({ id, name: 'Export Testinen' });
    expect(exported.consents).toBeDefined();

    const missing = await runCli(stack, ['export', 'no-such-customer'], dpo);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/404/);
  });

  it("shows every service's readiness, and exits 69 when one is down", async () => {
    // Ready once every service has caught up with its topics after start-up.
    const ok = await eventually(
      async () => {
        const run = await runCli(stack, ['status']);
        return run.code === 0 && run;
      },
      60_000,
      'kielto status to report every service ready',
    );
    for (const service of ['customers', 'consents', 'directory-bans', 'suppression']) {
      expect(ok.stdout).toMatch(new RegExp(`^${service} +ready .*mongodb up, kafka up`, 'm'));
    }
    const down = await runCli(stack, ['status', '--json', '--url-consents', 'http://127.0.0.1:9']);
    expect(down.code).toBe(69);
    const status = JSON.parse(down.stdout) as { ready: boolean; services: { service: string; ready: boolean }[] };
    expect(status.ready).toBe(false);
    expect(status.services.find((s) => s.service === 'consents')).toMatchObject({ ready: false });
    expect(status.services.find((s) => s.service === 'suppression')).toMatchObject({ ready: true });
  });

  it(
    `clears a ${ROWS}-row campaign file into allowed.csv and suppressed.csv with reasons`,
    async () => {
      // Every 1000th number objected to marketing (a prohibition recorded by staff); the others may be called (R4).
      const prohibited = Array.from({ length: ROWS / 1000 }, (_, k) => unlisted(k * 1000));
      for (let k = 0; k < prohibited.length; k += 10) {
        await Promise.all(
          prohibited
            .slice(k, k + 10)
            .map((phone) =>
              request(stack.urls.consents)
                .post('/v1/consents')
                .set(bearer('staff'))
                .send({ phone, channel: 'all', purpose: 'all', decision: 'prohibit', source: 'customer-service' })
                .expect(201),
            ),
        );
      }
      await eventually(
        async () => {
          const res = await check(prohibited.at(-1)!);
          return res.status === 200 && res.body.decision === 'suppress';
        },
        60_000,
        'the prohibitions to reach suppression',
      );

      const file = path.join(dir, 'campaign.csv');
      const lines = ['ref,phone,name'];
      // Numbers written as local ones; names that need CSV quoting must come out exactly as they went in.
      for (let i = 0; i < ROWS; i++) lines.push(`c${i},${local(unlisted(i))},"Virtanen, ""Liisa"" ${i}"`);
      await writeFile(file, `${lines.join('\r\n')}\r\n`);
      const out = path.join(dir, 'out');

      const run = await runCli(
        stack,
        ['clear', 'spring-2026', file, '--channel', 'phone', '--purpose', 'partner-marketing', '--out', out],
        { KIELTO_API_KEY: KEYS.marketing },
      );
      expect(run.stderr).toMatch(new RegExp(`clear .*${ROWS}/${ROWS} contacts`));
      expect(run.code).toBe(0);
      const banned = prohibited.length;
      const allowedCount = ROWS - banned;
      expect(run.stdout).toMatch(
        new RegExp(`${allowedCount} allowed, ${banned} suppressed \\(prohibited ${banned}\\)`),
      );
      expect(run.stdout).toMatch(/10 clearance records stored/);

      const allowed = (await readFile(path.join(out, 'allowed.csv'), 'utf8')).trimEnd().split('\n');
      expect(allowed).toHaveLength(allowedCount + 1);
      expect(allowed[0]).toBe('ref,phone,name');
      expect(allowed[1]).toBe(`c1,${local(unlisted(1))},"Virtanen, ""Liisa"" 1"`);
      expect(allowed.some((l) => l.startsWith('c1000,'))).toBe(false);

      const suppressed = (await readFile(path.join(out, 'suppressed.csv'), 'utf8')).trimEnd().split('\n');
      expect(suppressed).toHaveLength(banned + 1);
      expect(suppressed[0]).toBe('ref,phone,name,reasons,rules');
      expect(suppressed[1]).toBe(`c0,${local(unlisted(0))},"Virtanen, ""Liisa"" 0",prohibited,R5`);
      expect(suppressed.slice(1).every((l) => /^c(0|\d+000),.*,prohibited,R5$/.test(l))).toBe(true);

      // Every chunk of 10 000 is an audit record, stored by the service and listed in clearance.json.
      const summary = JSON.parse(await readFile(path.join(out, 'clearance.json'), 'utf8')) as {
        total: number;
        suppressedByReason: Record<string, number>;
        clearances: { id: string; total: number; allowed: number; suppressed: number; inputSha256: string }[];
      };
      expect(summary).toMatchObject({ total: ROWS, suppressedByReason: { prohibited: banned } });
      expect(summary.clearances).toHaveLength(10);
      expect(summary.clearances.reduce((n, c) => n + c.total, 0)).toBe(ROWS);
      expect(summary.clearances.reduce((n, c) => n + c.suppressed, 0)).toBe(banned);
      const stored = await request(stack.urls.suppression)
        .get('/v1/campaigns/spring-2026/clearances')
        .set(bearer('marketing'));
      expect(stored.status).toBe(200);
      expect((stored.body as { id: string }[]).map((c) => c.id).sort()).toEqual(
        summary.clearances.map((c) => c.id).sort(),
      );
    },
    SLOW,
  );

  it(
    `imports a ${ROWS}-row Robinson CSV with a progress bar and a summary`,
    async () => {
      const file = path.join(dir, 'robinson.csv');
      const lines = ['phone,name'];
      for (let i = 0; i < ROWS; i++) lines.push(`${listed(i)},"Meikäläinen, Matti ${i}"`);
      await writeFile(file, `${lines.join('\n')}\n`);

      const run = await runCli(
        stack,
        ['import', file, '--reason', 'robinson', '--channel', 'phone'],
        staff,
        IMPORT_SLOW - 60_000,
      );
      expect(run.stderr).toMatch(new RegExp(`import .*${ROWS}/${ROWS} entries`));
      expect(run.stderr).toMatch(/ignoring columns not sent to kielto: name/);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(
        new RegExp(`^Imported ${ROWS} entries from robinson\\.csv \\(0 already held, skipped\\) in 10 batches`, 'm'),
      );

      // Re-running is safe: everything is already held.
      const again = await runCli(
        stack,
        ['import', file, '--reason', 'robinson', '--channel', 'phone', '--json'],
        staff,
      );
      expect(again.code).toBe(0);
      expect(JSON.parse(again.stdout)).toMatchObject({ entries: ROWS, imported: 0, duplicates: ROWS });

      for (const i of [0, 4242, ROWS - 1]) {
        const answer = await eventually(async () => {
          const res = await check(listed(i));
          return res.status === 200 && res;
        });
        expect(answer.body).toMatchObject({
          decision: 'suppress',
          reasons: [expect.objectContaining({ code: 'robinson' })],
        });
      }
    },
    IMPORT_SLOW,
  );

  it('refuses to run without an API key, with a usage error', async () => {
    const run = await runCli(stack, ['export', 'x']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/No API key: set KIELTO_API_KEY/);
  });
});
