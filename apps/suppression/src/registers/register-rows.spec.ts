import { RegisterRowReader, RowError, splitCsvLine } from './register-rows';

describe(splitCsvLine.name, () => {
  it.each([
    ['a,b,c', ['a', 'b', 'c']],
    ['"Kauppa, Oy",b', ['Kauppa, Oy', 'b']],
    ['"sanoi ""hei""",', ['sanoi "hei"', '']],
    ['one', ['one']],
  ])('splits %s', (line, fields) => expect(splitCsvLine(line)).toEqual(fields));

  it('refuses an unterminated quote', () => expect(splitCsvLine('"open,b')).toBeUndefined());
});

describe(RegisterRowReader.name, () => {
  const read = (format: 'csv' | 'ndjson', lines: string[]) => {
    const rows: [Record<string, unknown>, number][] = [];
    const errors: RowError[] = [];
    const reader = new RegisterRowReader(
      format,
      new Set(['phone']),
      (row, line) => rows.push([row, line]),
      (e) => errors.push(e),
    );
    lines.forEach((text, i) => reader.read(text, i + 1));
    return { rows, errors };
  };

  it('reads CSV by its header and NDJSON objects, naming bad lines', () => {
    expect(read('csv', ['phone\r', '+358401234567\r', '', '"x",y'])).toEqual({
      rows: [[{ phone: '+358401234567' }, 2]],
      errors: [{ line: 4, field: 'line 4', message: 'line has 2 fields, the header 1' }],
    });
    expect(read('ndjson', ['{"phone":"1"}', '[1]', '{"name":"x"}'])).toEqual({
      rows: [[{ phone: '1' }, 1]],
      errors: [
        { line: 2, field: 'line 2', message: 'each line must be a JSON object' },
        { line: 3, field: 'name', message: 'property name should not exist' },
      ],
    });
  });
});
