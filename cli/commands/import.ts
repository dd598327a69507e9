import { randomUUID } from 'node:crypto';
import { basename } from 'node:path';
import {
  LEDGER_CHANNELS,
  LedgerChannel,
  normaliseEmail,
  normalisePhone,
  SUPPRESSION_ENTRY_REASONS,
  SuppressionEntryReason,
} from '@kielto/contracts';
import { KieltoClient, ProblemError, UsageError } from '../http';
import { csvRecords, formatOf, headerIndex, InputFormat, LineError, ndjsonLines } from '../input';
import { Progress } from '../progress';
import { EXIT, printLineErrors } from '../report';

export interface ImportOptions {
  reason?: string;
  channel?: string;
  format?: string;
  batchSize?: string;
  dryRun?: boolean;
  json?: boolean;
}

/** One entry as the import route takes it: exactly one identifier, already normalised. */
export interface ImportEntry {
  line: number;
  email?: string;
  phone?: string;
  channel: LedgerChannel;
  reason: SuppressionEntryReason;
}

type Scanned = { entry: ImportEntry } | { error: LineError };

const COLUMNS = new Set(['email', 'phone', 'channel', 'reason']);
const EMAIL_ONLY: ReadonlySet<string> = new Set(['bounce', 'complaint']);
/** The service's limit per request is 1 000 000 lines; smaller batches give a live progress bar. */
const MAX_BATCH = 1_000_000;

/**
 * The same rules as the import route (apps/suppression/src/entries/entries.service.ts), checked here first so
 * that a bad file is rejected whole, with every bad line named, before anything is sent.
 */
export function validateEntry(
  line: number,
  input: { email?: unknown; phone?: unknown; channel?: unknown; reason?: unknown },
  column = (name: string) => name,
): Scanned[] {
  const errors: string[] = [];
  const { reason, channel } = input;
  if (typeof reason !== 'string' || !(SUPPRESSION_ENTRY_REASONS as readonly string[]).includes(reason)) {
    errors.push(
      `${column('reason')}: must be one of ${SUPPRESSION_ENTRY_REASONS.join(', ')}${reason === undefined ? ' (or pass --reason)' : ''}`,
    );
  }
  if (typeof channel !== 'string' || !(LEDGER_CHANNELS as readonly string[]).includes(channel)) {
    errors.push(
      `${column('channel')}: must be one of ${LEDGER_CHANNELS.join(', ')}${channel === undefined ? ' (or pass --channel)' : ''}`,
    );
  } else if (typeof reason === 'string' && EMAIL_ONLY.has(reason) && channel !== 'email' && channel !== 'all') {
    errors.push(`${column('channel')}: a ${reason} applies to e-mail only, so the channel must be email or all`);
  }
  const identifiers: { email?: string; phone?: string }[] = [];
  if (input.email === undefined && input.phone === undefined) errors.push('no email or phone');
  if (input.email !== undefined) {
    const email = typeof input.email === 'string' ? normaliseEmail(input.email) : null;
    if (email === null) errors.push(`${column('email')}: not a valid e-mail address`);
    else identifiers.push({ email });
  }
  if (input.phone !== undefined) {
    const phone = typeof input.phone === 'string' ? normalisePhone(input.phone) : null;
    if (phone === null) errors.push(`${column('phone')}: not a valid phone number`);
    else if (typeof reason === 'string' && EMAIL_ONLY.has(reason))
      errors.push(`${column('phone')}: a ${reason} applies to e-mail addresses only`);
    else identifiers.push({ phone });
  }
  if (errors.length > 0) return errors.map((message) => ({ error: { line, message } }));
  return identifiers.map((id) => ({
    entry: { line, ...id, channel: channel as LedgerChannel, reason: reason as SuppressionEntryReason },
  }));
}

/** Every entry (or line error) of the file, in file order. Each CSV row gives one entry per filled identifier column. */
export async function* scanImportFile(
  file: string,
  format: InputFormat,
  defaults: { channel?: string; reason?: string },
  onIgnoredColumns: (columns: string[]) => void = () => undefined,
): AsyncGenerator<Scanned> {
  if (format === 'ndjson') {
    for await (const item of ndjsonLines(file)) {
      if ('error' in item) {
        yield { error: { line: item.line, message: item.error } };
        continue;
      }
      const value = item.value;
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        yield {
          error: { line: item.line, message: 'each line must be a JSON object {email|phone, channel?, reason?}' },
        };
        continue;
      }
      const record = value as Record<string, unknown>;
      const unknown = Object.keys(record).filter((k) => !COLUMNS.has(k));
      if (unknown.length > 0) {
        yield {
          error: {
            line: item.line,
            message: `unknown properties ${unknown.join(', ')} (allowed: email, phone, channel, reason)`,
          },
        };
        continue;
      }
      if (record.email !== undefined && record.phone !== undefined) {
        yield { error: { line: item.line, message: 'exactly one of email or phone per line' } };
        continue;
      }
      yield* validateEntry(item.line, {
        ...record,
        channel: record.channel ?? defaults.channel,
        reason: record.reason ?? defaults.reason,
      });
    }
    return;
  }
  let index: Map<string, number> | undefined;
  for await (const { line, cells } of csvRecords(file)) {
    if (!index) {
      index = headerIndex(cells);
      if (!index.has('email') && !index.has('phone')) {
        yield { error: { line, message: 'the header has neither an email nor a phone column' } };
        return;
      }
      onIgnoredColumns(cells.map((c) => c.trim()).filter((c) => !COLUMNS.has(c.toLowerCase())));
      continue;
    }
    const cell = (name: string) => {
      const i = index!.get(name);
      const value = i === undefined ? undefined : cells[i].trim();
      return value === '' ? undefined : value;
    };
    const reason = cell('reason') ?? defaults.reason;
    const email = cell('email');
    // A bounce or complaint is about an e-mail address: a row's phone number is not part of it.
    const phone = reason !== undefined && EMAIL_ONLY.has(reason) && email !== undefined ? undefined : cell('phone');
    yield* validateEntry(
      line,
      { email, phone, channel: cell('channel') ?? defaults.channel, reason },
      (name) => `column ${name}`,
    );
  }
}

interface ImportResponse {
  imported: number;
  duplicates: number;
}

/** `kielto import <file>`: validate every line, then send the entries in batches with a progress bar. */
export async function importCommand(client: KieltoClient, file: string, options: ImportOptions): Promise<number> {
  const format = formatOf(file, options.format);
  const batchSize = Number(options.batchSize ?? 10_000);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH) {
    throw new Error(`--batch-size must be an integer from 1 to ${MAX_BATCH}`);
  }
  const defaults = { channel: options.channel, reason: options.reason };
  const started = Date.now();

  // Pass 1: read and validate everything; nothing is sent unless every line is good.
  const errors: LineError[] = [];
  let errorCount = 0;
  let entries = 0;
  let ignored: string[] = [];
  for await (const item of scanImportFile(file, format, defaults, (c) => (ignored = c))) {
    if ('error' in item) {
      errorCount++;
      if (errors.length < 50) errors.push(item.error);
    } else entries++;
  }
  const name = basename(file);
  if (errorCount > 0) {
    printLineErrors(name, errors, errorCount, 'Nothing was imported: fix these lines and run the command again.');
    return EXIT.dataError;
  }
  if (entries === 0) {
    process.stderr.write(`kielto import: ${name} has no entries; nothing was imported.\n`);
    return EXIT.dataError;
  }
  if (ignored.length > 0)
    process.stderr.write(`kielto import: ignoring columns not sent to kielto: ${ignored.join(', ')}\n`);
  if (options.dryRun) {
    process.stdout.write(`${name}: ${entries} valid entries; nothing was sent (--dry-run).\n`);
    return EXIT.ok;
  }

  // Pass 2: read again and send batches (each one all-or-nothing on the service side).
  const progress = new Progress('import', entries, 'entries');
  // Names each batch of this run: a retry of it (after a 503 while its events waited for Kafka) is counted by the
  // service as this batch's own entries, not as entries already held.
  const runId = randomUUID();
  const totals = { imported: 0, duplicates: 0, batches: 0, lastLine: 0 };
  let batch: ImportEntry[] = [];
  const send = async () => {
    const body = batch.map(({ line: _line, ...entry }) => JSON.stringify(entry)).join('\n') + '\n';
    try {
      const result = await client.json<ImportResponse>('suppression', '/v1/suppression/entries/import', {
        method: 'POST',
        body,
        contentType: 'application/x-ndjson',
        headers: { 'idempotency-key': `${runId}:${totals.batches + 1}` },
        // 503 "stored but not yet published" and 429 are safe to retry: the same key counts this batch's entries once.
        retries: 10,
      });
      totals.imported += result.imported;
      totals.duplicates += result.duplicates;
      totals.batches++;
      totals.lastLine = batch.at(-1)!.line;
      progress.increment(batch.length);
      batch = [];
    } catch (error) {
      progress.stop();
      // No API key is a usage error (exit 2) before anything is sent, not a failed batch.
      if (error instanceof UsageError) throw error;
      throw new PartialImportError(error as Error, totals, batch, name);
    }
  };
  try {
    for await (const item of scanImportFile(file, format, defaults)) {
      if ('error' in item)
        throw new Error(`${name} changed while importing (line ${item.error.line}); run the command again`);
      // A CSV row with both an e-mail and a phone gives two entries: never split a row across batches.
      if (batch.length >= batchSize && batch.at(-1)!.line !== item.entry.line) await send();
      batch.push(item.entry);
    }
    if (batch.length > 0) await send();
  } catch (error) {
    if (error instanceof PartialImportError) {
      process.stderr.write(error.report());
      return EXIT.failure;
    }
    throw error;
  }
  progress.stop();
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const summary = {
    file: name,
    entries,
    imported: totals.imported,
    duplicates: totals.duplicates,
    batches: totals.batches,
    seconds: Number(seconds),
  };
  process.stdout.write(
    options.json
      ? `${JSON.stringify(summary)}\n`
      : `Imported ${totals.imported} entries from ${name} (${totals.duplicates} already held, skipped) in ${totals.batches} batch${totals.batches === 1 ? '' : 'es'}, ${seconds} s.\n`,
  );
  return EXIT.ok;
}

/** A batch failed after earlier ones were imported: say exactly what was and was not imported. */
class PartialImportError extends Error {
  constructor(
    override readonly cause: Error,
    readonly totals: { imported: number; duplicates: number; batches: number; lastLine: number },
    readonly batch: ImportEntry[],
    readonly file: string,
  ) {
    super(cause.message);
  }

  report(): string {
    const first = this.batch[0]?.line;
    const last = this.batch.at(-1)?.line;
    const lines = [`kielto import: ${this.cause.message}`];
    if (this.cause instanceof ProblemError) {
      for (const e of this.cause.problem.errors?.slice(0, 20) ?? []) {
        const fileLine = e.line !== undefined ? this.batch[e.line - 1]?.line : undefined;
        lines.push(
          `  ${fileLine !== undefined ? `line ${fileLine}: ` : ''}${e.field ?? ''} ${e.message ?? ''}`.trimEnd(),
        );
      }
    }
    const before =
      this.totals.batches === 0
        ? 'No earlier batch was imported'
        : `PARTLY IMPORTED: ${this.totals.batches} earlier batch(es) were imported (${this.totals.imported} new entries, ` +
          `${this.file} lines up to ${this.totals.lastLine})`;
    if (this.cause instanceof ProblemError && this.cause.status < 500) {
      // Rejected input: the service validates a whole request before writing, so this batch left nothing behind.
      lines.push(
        `${before}; the batch of lines ${first}-${last} was rejected and nothing from line ${first} onwards was imported.`,
      );
    } else {
      // No answer, or a server-side failure after validation: part or all of this batch may be stored (the service
      // does not stop when the client gives up, and it may have stored chunks before failing).
      const why = this.cause instanceof ProblemError ? 'failed on the service' : 'got no answer';
      lines.push(
        `${before}; the batch of lines ${first}-${last} ${why}, so it may be imported in part or in full; nothing after line ${last} was sent.`,
      );
    }
    lines.push('Running the same command again is safe: entries already held are skipped as duplicates.');
    return `${lines.join('\n')}\n`;
  }
}
