import { FieldError } from '@kielto/platform';

/** One line of a register snapshot that cannot be read: named by its line number (from 1). */
export interface RowError {
  line: number;
  field: string;
  message: string;
}

export type RowFormat = 'ndjson' | 'csv';

/**
 * Splits one CSV line (RFC 4180 without line breaks inside quotes): fields separated by commas, a field in double
 * quotes may hold commas and doubled quotes. Undefined for an unterminated quote.
 */
export function splitCsvLine(line: string): string[] | undefined {
  const fields: string[] = [];
  let at = 0;
  for (;;) {
    if (line.charCodeAt(at) === 34 /* " */) {
      let value = '';
      let from = at + 1;
      for (;;) {
        const quote = line.indexOf('"', from);
        if (quote < 0) return undefined;
        value += line.slice(from, quote);
        if (line.charCodeAt(quote + 1) === 34) {
          value += '"';
          from = quote + 2;
          continue;
        }
        at = quote + 1;
        break;
      }
      fields.push(value);
      if (at >= line.length) return fields;
      if (line.charCodeAt(at) !== 44 /* , */) return undefined;
      at++;
    } else {
      const comma = line.indexOf(',', at);
      if (comma < 0) {
        fields.push(line.slice(at));
        return fields;
      }
      fields.push(line.slice(at, comma));
      at = comma + 1;
    }
  }
}

/**
 * Turns the lines of a snapshot (NDJSON objects, or CSV with a header line naming the columns) into row objects of
 * string fields, checking the field names against those the register takes. `onRow` gets each row with its line
 * number; unreadable lines become errors. Blank lines are skipped.
 */
export class RegisterRowReader {
  private header: string[] | undefined;

  constructor(
    private readonly format: RowFormat,
    /** The fields a row may have. */
    private readonly fields: ReadonlySet<string>,
    private readonly onRow: (row: Record<string, unknown>, line: number, errors: FieldError[]) => void,
    private readonly onError: (error: RowError) => void,
  ) {}

  read(text: string, line: number): void {
    if (text.trim().length === 0) return;
    if (this.format === 'csv') return this.readCsv(text.endsWith('\r') ? text.slice(0, -1) : text, line);
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      return this.onError({ line, field: `line ${line}`, message: 'line is not valid JSON' });
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      return this.onError({ line, field: `line ${line}`, message: 'each line must be a JSON object' });
    }
    this.row(raw as Record<string, unknown>, line);
  }

  private readCsv(text: string, line: number): void {
    const cells = splitCsvLine(text);
    if (cells === undefined) return this.onError({ line, field: `line ${line}`, message: 'unterminated quote' });
    if (this.header === undefined) {
      this.header = cells.map((c) => c.trim());
      for (const name of this.header) {
        if (!this.fields.has(name)) {
          this.onError({ line, field: name, message: `column ${name} should not exist` });
        }
      }
      return;
    }
    if (cells.length !== this.header.length) {
      return this.onError({
        line,
        field: `line ${line}`,
        message: `line has ${cells.length} fields, the header ${this.header.length}`,
      });
    }
    const row: Record<string, unknown> = {};
    for (let i = 0; i < cells.length; i++) if (cells[i] !== '') row[this.header[i]] = cells[i];
    this.row(row, line);
  }

  private row(row: Record<string, unknown>, line: number): void {
    const errors: FieldError[] = [];
    for (const key in row) {
      if (!this.fields.has(key)) errors.push({ field: key, message: `property ${key} should not exist` });
    }
    if (errors.length === 0) this.onRow(row, line, errors);
    for (const e of errors) this.onError({ line, field: e.field, message: e.message });
  }

  /** A CSV snapshot without even a header line. */
  get sawHeader(): boolean {
    return this.format === 'ndjson' || this.header !== undefined;
  }
}
