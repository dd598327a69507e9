import { readFile } from 'node:fs/promises';
import { csvLine, csvRecords, formatOf, headerIndex, ndjsonLines, UnreadableFileError } from './input';
import { tempFiles } from './spec-helpers';

const files = tempFiles();

async function records(path: string) {
  const out: { line: number; cells: string[] }[] = [];
  for await (const record of csvRecords(path)) out.push(record);
  return out;
}

describe('formatOf', () => {
  it('tells the format by extension, case-insensitively, unless forced', () => {
    expect(formatOf('list.csv')).toBe('csv');
    expect(formatOf('LIST.CSV')).toBe('csv');
    expect(formatOf('list.ndjson')).toBe('ndjson');
    expect(formatOf('list.jsonl')).toBe('ndjson');
    expect(formatOf('list.txt', 'csv')).toBe('csv');
  });

  it('refuses a file it cannot tell, or a format it does not know', () => {
    expect(() => formatOf('list.txt')).toThrow(/--format csv\|ndjson/);
    expect(() => formatOf('list.csv', 'xlsx')).toThrow(/cannot tell the format/);
  });
});

describe('csvRecords', () => {
  it('reads the header first, skips a BOM and blank lines, and numbers each record by the line it ends on', async () => {
    const path = await files.file(
      'ok.csv',
      '\uFEFFemail,name\na@example.fi,"two\nlines"\n\nb@example.fi,"a ""quote"""\n',
    );
    expect(await records(path)).toEqual([
      { line: 1, cells: ['email', 'name'] },
      { line: 3, cells: ['a@example.fi', 'two\nlines'] },
      { line: 5, cells: ['b@example.fi', 'a "quote"'] },
    ]);
  });

  it.each([
    ['a row with another number of columns', 'email,name\nmatti@example.fi\n', 2, 'the number of columns differs'],
    ['an unclosed quote', 'email\n"matti@example.fi\n', 2, 'a quoted field is not closed'],
    ['a quote inside an unquoted field', 'email\nmat"ti@example.fi,\n', 2, 'Invalid Opening Quote'],
  ])('reports %s with its line, never the value', async (_what, text, line, message) => {
    const path = await files.file('bad.csv', text);
    const error = await records(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnreadableFileError);
    expect((error as UnreadableFileError).line).toBe(line);
    expect((error as Error).message).toContain(message);
    expect((error as Error).message).not.toContain('matti');
  });

  it('lets a missing file fail as such (not as bad CSV)', async () => {
    const error = await records(`${files.dir()}/missing.csv`).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(UnreadableFileError);
    expect((error as NodeJS.ErrnoException).code).toBe('ENOENT');
  });
});

describe('csvLine', () => {
  it('quotes only what needs it (RFC 4180), and reads back as written', async () => {
    const cells = ['plain', 'com,ma', 'qu"ote', 'new\nline', ' padded ', ''];
    const line = csvLine(cells);
    expect(line).toBe('plain,"com,ma","qu""ote","new\nline"," padded ",\n');
    const path = await files.file('round.csv', line);
    expect((await records(path))[0].cells).toEqual(cells);
    expect(await readFile(path, 'utf8')).toBe(line);
  });
});

describe('headerIndex', () => {
  it('finds columns by trimmed, lower-cased name', () => {
    const index = headerIndex([' Email ', 'PHONE', 'customerId']);
    expect([index.get('email'), index.get('phone'), index.get('customerid')]).toEqual([0, 1, 2]);
  });
});

describe('ndjsonLines', () => {
  it('gives each non-blank line its number, and a line that is not JSON an error without its text', async () => {
    const path = await files.file('in.ndjson', '{"email":"a@example.fi"}\n\n{"email": matti}\r\n[1]\n');
    const out: unknown[] = [];
    for await (const item of ndjsonLines(path)) out.push(item);
    expect(out).toEqual([
      { line: 1, value: { email: 'a@example.fi' } },
      { line: 3, error: 'not valid JSON' },
      { line: 4, value: [1] },
    ]);
  });
});
