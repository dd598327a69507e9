import { KieltoClient, ProblemError } from '../http';
import { EXIT } from '../report';
import { captureOutput, tempFiles } from '../spec-helpers';
import { importCommand, ImportOptions, scanImportFile, validateEntry } from './import';

const files = tempFiles();

/** The import route of suppression, faked: records each request's entries and answers as told. */
function fakeClient(
  answer: (entries: object[]) => Promise<unknown> = (e) => Promise.resolve({ imported: e.length, duplicates: 0 }),
) {
  const requests: object[][] = [];
  const client = {
    json: (_service: string, _path: string, options: { body: string }) => {
      const entries = options.body
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as object);
      requests.push(entries);
      return answer(entries);
    },
  } as unknown as KieltoClient;
  return { client, requests };
}

async function scan(path: string, format: 'csv' | 'ndjson', defaults = {}) {
  const out: unknown[] = [];
  for await (const item of scanImportFile(path, format, defaults)) out.push(item);
  return out;
}

describe('validateEntry', () => {
  it('normalises the identifier and keeps channel and reason', () => {
    expect(validateEntry(7, { phone: '040 123 4567', channel: 'phone', reason: 'robinson' })).toEqual([
      { entry: { line: 7, phone: '+358401234567', channel: 'phone', reason: 'robinson' } },
    ]);
  });

  it('names every problem by column, never by value', () => {
    const errors = validateEntry(
      3,
      { email: 'matti(at)example', channel: 'fax', reason: 'spite' },
      (c) => `column ${c}`,
    );
    expect(errors.map((e) => ('error' in e ? e.error.message : ''))).toEqual([
      'column reason: must be one of bounce, complaint, robinson, manual',
      'column channel: must be one of email, sms, phone, post, all',
      'column email: not a valid e-mail address',
    ]);
    expect(JSON.stringify(errors)).not.toContain('matti');
  });

  it('keeps a bounce or complaint to e-mail', () => {
    expect(validateEntry(1, { email: 'a@example.fi', channel: 'sms', reason: 'bounce' })).toEqual([
      { error: { line: 1, message: 'channel: a bounce applies to e-mail only, so the channel must be email or all' } },
    ]);
  });
});

describe('scanImportFile', () => {
  it('gives one entry per filled identifier column of a CSV row, with defaults for missing columns', async () => {
    const path = await files.file('both.csv', 'email,phone,name\na@example.fi,040 123 4567,Matti\n,0401234568,\n');
    expect(await scan(path, 'csv', { channel: 'all', reason: 'robinson' })).toEqual([
      { entry: { line: 2, email: 'a@example.fi', channel: 'all', reason: 'robinson' } },
      { entry: { line: 2, phone: '+358401234567', channel: 'all', reason: 'robinson' } },
      { entry: { line: 3, phone: '+358401234568', channel: 'all', reason: 'robinson' } },
    ]);
  });

  it("leaves out a row's phone when its reason is a bounce", async () => {
    const path = await files.file('bounce.csv', 'email,phone,reason\na@example.fi,0401234567,bounce\n');
    expect(await scan(path, 'csv', { channel: 'email' })).toEqual([
      { entry: { line: 2, email: 'a@example.fi', channel: 'email', reason: 'bounce' } },
    ]);
  });

  it('rejects a CSV header without an identifier column', async () => {
    const path = await files.file('nohead.csv', 'name\nMatti\n');
    expect(await scan(path, 'csv')).toEqual([
      { error: { line: 1, message: 'the header has neither an email nor a phone column' } },
    ]);
  });

  it('takes NDJSON objects with exactly one identifier and only known properties', async () => {
    const path = await files.file(
      'in.ndjson',
      '{"email":"a@example.fi"}\n{"email":"b@example.fi","phone":"0401234567"}\n{"mail":"c@example.fi"}\n"x"\n',
    );
    expect(await scan(path, 'ndjson', { channel: 'email', reason: 'manual' })).toEqual([
      { entry: { line: 1, email: 'a@example.fi', channel: 'email', reason: 'manual' } },
      { error: { line: 2, message: 'exactly one of email or phone per line' } },
      { error: { line: 3, message: 'unknown properties mail (allowed: email, phone, channel, reason)' } },
      { error: { line: 4, message: 'each line must be a JSON object {email|phone, channel?, reason?}' } },
    ]);
  });
});

describe('importCommand', () => {
  const options: ImportOptions = { channel: 'all', reason: 'robinson' };
  let output: ReturnType<typeof captureOutput>;
  beforeEach(() => (output = captureOutput()));
  afterEach(() => jest.restoreAllMocks());

  it('sends nothing when any line is bad, lists the bad lines and exits 65', async () => {
    const path = await files.file('bad.csv', 'email\na@example.fi\nnot-an-address\n');
    const { client, requests } = fakeClient();
    expect(await importCommand(client, path, options)).toBe(EXIT.dataError);
    expect(requests).toHaveLength(0);
    expect(output.stderr()).toContain('line 3: column email: not a valid e-mail address');
    expect(output.stderr()).not.toContain('not-an-address');
  });

  it('exits 65 for a file with no entries, and 0 for --dry-run without sending', async () => {
    const { client, requests } = fakeClient();
    expect(await importCommand(client, await files.file('empty.csv', 'email\n'), options)).toBe(EXIT.dataError);
    const path = await files.file('good.csv', 'email\na@example.fi\n');
    expect(await importCommand(client, path, { ...options, dryRun: true })).toBe(EXIT.ok);
    expect(requests).toHaveLength(0);
    expect(output.stdout()).toContain('1 valid entries; nothing was sent (--dry-run)');
  });

  it('sends batches without splitting a row, and sums the answers', async () => {
    const path = await files.file('rows.csv', 'email,phone\na@example.fi,0401234567\nb@example.fi,\nc@example.fi,\n');
    const { client, requests } = fakeClient((e) => Promise.resolve({ imported: e.length - 1, duplicates: 1 }));
    expect(await importCommand(client, path, { ...options, batchSize: '1', json: true })).toBe(EXIT.ok);
    expect(requests.map((r) => r.length)).toEqual([2, 1, 1]);
    expect(requests[0]).toEqual([
      { email: 'a@example.fi', channel: 'all', reason: 'robinson' },
      { phone: '+358401234567', channel: 'all', reason: 'robinson' },
    ]);
    expect(JSON.parse(output.stdout())).toMatchObject({ entries: 4, imported: 1, duplicates: 3, batches: 3 });
  });

  it('says which lines were imported when a later batch is rejected, and exits 1', async () => {
    const path = await files.file('two.csv', 'email\na@example.fi\nb@example.fi\n');
    let calls = 0;
    const { client } = fakeClient((e) =>
      calls++ === 0
        ? Promise.resolve({ imported: e.length, duplicates: 0 })
        : Promise.reject(new ProblemError(400, { title: 'Bad Request' }, 'POST import')),
    );
    expect(await importCommand(client, path, { ...options, batchSize: '1' })).toBe(EXIT.failure);
    expect(output.stderr()).toContain(
      'PARTLY IMPORTED: 1 earlier batch(es) were imported (1 new entries, two.csv lines up to 2)',
    );
    expect(output.stderr()).toContain('the batch of lines 3-3 was rejected');
  });

  it('refuses a batch size outside 1..1 000 000', async () => {
    const path = await files.file('one.csv', 'email\na@example.fi\n');
    await expect(importCommand(fakeClient().client, path, { ...options, batchSize: '0' })).rejects.toThrow(
      /--batch-size/,
    );
  });
});
