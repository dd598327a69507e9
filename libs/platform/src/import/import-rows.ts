import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { ClassConstructor, plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { FieldError, fieldErrorsOf, ProblemException, VALIDATION_OPTIONS } from '../http/problem';
import { readLines } from './read-lines';

/** One valid row of an import body, with the line it came from (counted from 1, blank lines included). */
export interface ImportRow<T> {
  line: number;
  value: T;
}

export interface ImportLimits {
  /** Rows (non-blank lines) per request. */
  maxRows: number;
  maxBytes: number;
}

/** Line errors reported at most (the rest are counted): enough to fix a file, bounded for a runaway one. */
const MAX_REPORTED_ERRORS = 100;

/**
 * A batch's identity: the SHA-256 of its rows as sent. The same rows sent again (a retry after a lost answer or a
 * 503, or the same file run again) name the same batch, which is what makes a batch idempotent (ImportBatches).
 */
export type BatchDigest = string;

/**
 * Reads an NDJSON import body and validates every line against `dto` exactly as the single-write route validates
 * its JSON body (the same class, VALIDATION_OPTIONS), then against `check` (the rules a DTO cannot express, the
 * same ones the single write applies). All-or-nothing: if any line is bad the whole body is refused with a 400
 * problem naming each bad line and field, and nothing is written.
 */
export async function readImportRows<T extends object>(
  body: Readable,
  dto: ClassConstructor<T>,
  limits: ImportLimits,
  check: (value: T) => FieldError[] = () => [],
): Promise<{ rows: ImportRow<T>[]; digest: BatchDigest }> {
  const rows: ImportRow<T>[] = [];
  const errors: FieldError[] = [];
  let errorCount = 0;
  let lineNo = 0;
  const hash = createHash('sha256');
  const fail = (line: number, found: FieldError[]) => {
    errorCount += found.length;
    for (const e of found) if (errors.length < MAX_REPORTED_ERRORS) errors.push({ ...e, line });
  };
  await readLines(
    body,
    (text) => {
      lineNo++;
      if (text.trim() === '') return;
      hash.update(text).update('\n');
      if (rows.length + errorCount >= limits.maxRows) {
        throw new ProblemException(413, 'too-many-lines', `At most ${limits.maxRows} rows per request`, [
          { field: 'body', message: `body must contain at most ${limits.maxRows} rows; send more batches` },
        ]);
      }
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch {
        return fail(lineNo, [{ field: `line ${lineNo}`, message: 'line is not valid JSON' }]);
      }
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
        return fail(lineNo, [{ field: `line ${lineNo}`, message: 'each line must be a JSON object' }]);
      }
      const value = plainToInstance(dto, raw);
      const invalid = fieldErrorsOf(validateSync(value, VALIDATION_OPTIONS));
      if (invalid.length > 0) return fail(lineNo, invalid);
      const broken = check(value);
      if (broken.length > 0) return fail(lineNo, broken);
      rows.push({ line: lineNo, value });
    },
    limits.maxBytes,
  );
  if (errorCount > 0) throw importRejected(errors, errorCount);
  if (rows.length === 0) {
    throw new ProblemException(400, 'validation', 'The import has no rows', [
      { field: 'body', message: 'body must contain at least one NDJSON row' },
    ]);
  }
  return { rows, digest: hash.digest('hex') };
}

/**
 * Rows of one batch that must name different things (a legacy key, a customer, an entry): the first line of each
 * key is remembered, and a later row with the same key gets a field error naming that line.
 */
export class RepeatedRows {
  private readonly first = new Map<string, number>();

  constructor(
    private readonly errors: FieldError[],
    private readonly field: string,
    private readonly what: string,
  ) {}

  note(key: string, line: number): void {
    const first = this.first.get(key);
    if (first !== undefined)
      this.errors.push({ line, field: this.field, message: `${this.what} repeats line ${first}` });
    else this.first.set(key, line);
  }
}

/** The answer to a batch with bad rows: every error with its line; nothing of the batch was written. */
export function importRejected(errors: FieldError[], total = errors.length): ProblemException {
  const more = total > errors.length ? ` (the first ${errors.length} are listed)` : '';
  return new ProblemException(
    400,
    'validation',
    `Nothing was imported: the batch is all-or-nothing and ${total} error${total === 1 ? '' : 's'} were found${more}`,
    errors,
  );
}
