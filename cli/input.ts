import { CsvError, parse } from 'csv-parse';
import { createReadStream } from 'node:fs';
import { extname } from 'node:path';
import { createInterface } from 'node:readline';

export type InputFormat = 'csv' | 'ndjson';

/** A problem with one line of an input file. Messages name the column, never the value (it is personal data). */
export interface LineError {
  line: number;
  message: string;
}

/** The file cannot be read as its format at all (e.g. an unterminated quote): reported with its line. */
export class UnreadableFileError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
  }
}

export function formatOf(file: string, forced?: string): InputFormat {
  const format =
    forced ??
    ({ '.csv': 'csv', '.ndjson': 'ndjson', '.jsonl': 'ndjson' } as Record<string, string>)[extname(file).toLowerCase()];
  if (format === 'csv' || format === 'ndjson') return format;
  throw new Error(`cannot tell the format of ${file}: name it .csv or .ndjson, or pass --format csv|ndjson`);
}

/** The records of a CSV file, the header first, each with the (last) line it ends on. Streams: any size works. */
export async function* csvRecords(file: string): AsyncGenerator<{ line: number; cells: string[] }> {
  const source = createReadStream(file);
  const parser = source.pipe(parse({ bom: true, info: true, skip_empty_lines: true, relax_column_count: false }));
  // pipe() does not forward a read error (a missing file): without this it would crash the process uncaught.
  source.on('error', (error) => parser.destroy(error));
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      yield { line: info.lines, cells: record };
    }
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    throw new UnreadableFileError((error as { lines?: number }).lines ?? 0, csvMessage(error));
  }
}

function csvMessage(e: { code?: string; message?: string }): string {
  switch (e.code ?? '') {
    case 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH':
      return 'the number of columns differs from the header';
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'a quoted field is not closed';
    case 'CSV_INVALID_CLOSING_QUOTE':
      return 'a quote is followed by something other than a separator';
    default:
      return (e.message ?? 'not valid CSV').replace(/: .*$/, '');
  }
}

/** The lines of an NDJSON file with their line numbers; blank lines are skipped. */
export async function* ndjsonLines(
  file: string,
): AsyncGenerator<{ line: number; value: unknown } | { line: number; error: string }> {
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let line = 0;
  for await (const text of lines) {
    line++;
    if (text.trim() === '') continue;
    try {
      yield { line, value: JSON.parse(text) as unknown };
    } catch {
      yield { line, error: 'not valid JSON' };
    }
  }
}

/** Column index by lower-cased, trimmed header name. */
export function headerIndex(header: string[]): Map<string, number> {
  return new Map(header.map((name, i) => [name.trim().toLowerCase(), i]));
}

/** A cell a spreadsheet would run as a formula: it starts with = + - @, a tab or a carriage return. */
const FORMULA_START = /^[=+\-@\t\r]/;
/** A signed number or phone number (`+358 40 123 4567`, `-12.5`): a spreadsheet computes nothing from it. */
const PLAIN_NUMBER = /^[+-]?[0-9][0-9 .()-]*$/;

/**
 * Neutralises CSV formula injection (OWASP "CSV Injection"): a cell that would start a formula gets a leading `'`,
 * which spreadsheets show as text. Numbers and phone numbers are left as they are.
 */
export function neutraliseFormula(cell: string): string {
  return FORMULA_START.test(cell) && !PLAIN_NUMBER.test(cell) ? `'${cell}` : cell;
}

/** Writes a CSV row for people to open in a spreadsheet: formulas neutralised, quoted where needed (RFC 4180). */
export function csvLine(cells: readonly string[]): string {
  return (
    cells
      .map(neutraliseFormula)
      .map((c) => (/[",\r\n]/.test(c) || /^\s|\s$/.test(c) ? `"${c.replace(/"/g, '""')}"` : c))
      .join(',') + '\n'
  );
}
