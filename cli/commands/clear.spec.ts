import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KieltoClient } from '../http';
import { EXIT } from '../report';
import { captureOutput, tempFiles } from '../spec-helpers';
import { clearCommand, scanCampaignFile } from './clear';

const files = tempFiles();

type Contact = { ref: number; email?: string; phone?: string; customerId?: string };

/** Campaign clearance faked: suppresses the contacts `suppress` picks, and records each request. */
function fakeClient(suppress: (c: Contact) => boolean, fail = false) {
  const requests: { contacts: Contact[] }[] = [];
  let id = 0;
  const client = {
    json: (_service: string, _path: string, options: { body: string }) => {
      const body = JSON.parse(options.body) as { contacts: Contact[] };
      requests.push(body);
      if (fail && requests.length > 1) return Promise.reject(new Error('no answer'));
      const results = body.contacts.map((c) =>
        suppress(c)
          ? {
              ref: c.ref,
              decision: 'suppress',
              reasons: [{ code: 'robinson', rule: 'R6', source: 'list', since: null }],
            }
          : { ref: c.ref, decision: 'allow', reasons: [] },
      );
      return Promise.resolve({ id: `clr-${++id}`, total: results.length, results });
    },
  } as unknown as KieltoClient;
  return { client, requests };
}

describe('scanCampaignFile', () => {
  it('checks each row by the identifier its channel prefers, falling back to the next filled one', async () => {
    const path = await files.file(
      'c.csv',
      'customerId,phone,email\nc-1,040 123 4567,a@example.fi\nc-2,,b@example.fi\n',
    );
    const rows: unknown[] = [];
    for await (const item of scanCampaignFile(path, 'sms')) rows.push(item);
    expect(rows).toEqual([
      { header: ['customerId', 'phone', 'email'] },
      { row: { line: 2, cells: ['c-1', '040 123 4567', 'a@example.fi'], contact: { phone: '040 123 4567' } } },
      { row: { line: 3, cells: ['c-2', '', 'b@example.fi'], contact: { customerId: 'c-2' } } },
    ]);
  });

  it('names a header without a usable column, and a bad identifier by its column only', async () => {
    const noColumn: unknown[] = [];
    for await (const item of scanCampaignFile(await files.file('n.csv', 'name\nMatti\n'), 'email')) noColumn.push(item);
    expect(noColumn).toEqual([
      {
        error: {
          line: 1,
          message: 'the header has no column to check the email channel by (email, emailHash, customerId)',
        },
      },
    ]);
    const bad: unknown[] = [];
    for await (const item of scanCampaignFile(await files.file('b.csv', 'email\nmatti(at)x\n'), 'email'))
      bad.push(item);
    expect(bad).toEqual([
      { header: ['email'] },
      { error: { line: 2, message: 'column email: not a valid e-mail address' } },
    ]);
  });
});

describe('scanCampaignFile: post by name and address', () => {
  it('checks a post campaign by its name, street and postal code (city when given) before any other column', async () => {
    const path = await files.file(
      'p.csv',
      'Name,Street,PostalCode,City,customerId\n' +
        'Matti Meikäläinen,Testikatu 1 A 2,00100,Helsinki,c-1\n' +
        'Maija M,Kuja 3,00200,,\n' +
        ',,,,c-3\n' +
        'Ilkka I,Ei numeroa,00300,,\n' +
        'Liisa L,Tie 4,123,,\n',
    );
    const rows: unknown[] = [];
    for await (const item of scanCampaignFile(path, 'post')) rows.push(item);
    expect(rows).toEqual([
      { header: ['Name', 'Street', 'PostalCode', 'City', 'customerId'] },
      {
        row: {
          line: 2,
          cells: ['Matti Meikäläinen', 'Testikatu 1 A 2', '00100', 'Helsinki', 'c-1'],
          contact: { name: 'Matti Meikäläinen', street: 'Testikatu 1 A 2', postalCode: '00100', city: 'Helsinki' },
        },
      },
      {
        row: {
          line: 3,
          cells: ['Maija M', 'Kuja 3', '00200', '', ''],
          contact: { name: 'Maija M', street: 'Kuja 3', postalCode: '00200' },
        },
      },
      { row: { line: 4, cells: ['', '', '', '', 'c-3'], contact: { customerId: 'c-3' } } },
      {
        error: {
          line: 5,
          message: 'column street: must be a street address with a house number, at most 200 characters',
        },
      },
      { error: { line: 6, message: 'column postalCode: must be five digits' } },
    ]);
  });

  it('names the postal columns when a post campaign file has nothing to check by', async () => {
    const rows: unknown[] = [];
    for await (const item of scanCampaignFile(await files.file('q.csv', 'name,street\nA,B 1\n'), 'post'))
      rows.push(item);
    expect(rows).toEqual([
      {
        error: {
          line: 1,
          message:
            'the header has no column to check the post channel by (name + street + postalCode, customerId, email, phone, emailHash, phoneHash)',
        },
      },
    ]);
  });

  it('sends the postal identity as the contact of the clearance', async () => {
    const path = await files.file('r.csv', 'name,street,postalCode\nMatti M,Testikatu 1,00100\n');
    const { client, requests } = fakeClient(() => false);
    captureOutput();
    expect(
      await clearCommand(client, 'post-2026', path, {
        channel: 'post',
        purpose: 'own-marketing',
        out: join(files.dir(), 'r-out'),
      }),
    ).toBe(EXIT.ok);
    expect(requests[0].contacts).toEqual([{ ref: 2, name: 'Matti M', street: 'Testikatu 1', postalCode: '00100' }]);
    jest.restoreAllMocks();
  });
});

describe('clearCommand', () => {
  const options = { channel: 'email', purpose: 'own-marketing' };
  let output: ReturnType<typeof captureOutput>;
  beforeEach(() => (output = captureOutput()));
  afterEach(() => jest.restoreAllMocks());

  it('writes the rows as they were to allowed.csv and suppressed.csv (with reasons and rules), and exits 0', async () => {
    const path = await files.file(
      'ok.csv',
      'email,name\na@example.fi,"Matti, M."\nb@example.fi,Maija\nc@example.fi,Ilkka\n',
    );
    const out = join(files.dir(), 'ok-out');
    const { client, requests } = fakeClient((c) => c.email === 'b@example.fi');
    expect(await clearCommand(client, 'spring-2026', path, { ...options, out, chunkSize: '2' })).toBe(EXIT.ok);
    expect(requests.map((r) => r.contacts.map((c) => c.ref))).toEqual([[2, 3], [4]]);
    expect(await readFile(join(out, 'allowed.csv'), 'utf8')).toBe(
      'email,name\na@example.fi,"Matti, M."\nc@example.fi,Ilkka\n',
    );
    expect(await readFile(join(out, 'suppressed.csv'), 'utf8')).toBe(
      'email,name,reasons,rules\nb@example.fi,Maija,robinson,R6\n',
    );
    const record = JSON.parse(await readFile(join(out, 'clearance.json'), 'utf8')) as Record<string, unknown>;
    expect(record).toMatchObject({ total: 3, allowed: 2, suppressed: 1, suppressedByReason: { robinson: 1 } });
    expect(output.stdout()).toContain('2 allowed, 1 suppressed (robinson 1)');
  });

  it('writes no output files when a chunk fails, says what was recorded, and exits 1', async () => {
    const path = await files.file('fail.csv', 'email\na@example.fi\nb@example.fi\n');
    const out = join(files.dir(), 'fail-out');
    expect(
      await clearCommand(fakeClient(() => false, true).client, 'c1', path, { ...options, out, chunkSize: '1' }),
    ).toBe(EXIT.failure);
    expect(await readdir(out)).toEqual([]);
    expect(output.stderr()).toContain('1 chunk(s) had already been cleared and recorded (clr-1)');
  });

  it('sends nothing for a file with a bad row (exit 65), and refuses bad arguments', async () => {
    const { client, requests } = fakeClient(() => false);
    const bad = await files.file('bad.csv', 'email\na@example.fi\n\nnope\n');
    expect(await clearCommand(client, 'c1', bad, { ...options, out: join(files.dir(), 'x') })).toBe(EXIT.dataError);
    expect(output.stderr()).toContain('line 4: column email');
    const good = await files.file('good.csv', 'email\na@example.fi\n');
    await expect(clearCommand(client, 'bad id!', good, options)).rejects.toThrow(/campaignId/);
    await expect(clearCommand(client, 'c1', good, { ...options, channel: 'fax' })).rejects.toThrow(/--channel/);
    await expect(clearCommand(client, 'c1', good, { ...options, chunkSize: '10001' })).rejects.toThrow(/--chunk-size/);
    expect(requests).toHaveLength(0);
  });
});
