import { once } from 'node:events';
import { createWriteStream, WriteStream } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import {
  Channel,
  CHANNELS,
  normaliseEmail,
  normalisePhone,
  normalisePostalIdentity,
  PRODUCTS,
  Purpose,
  PURPOSES,
} from '@kielto/contracts';
import { KieltoClient, UsageError } from '../http';
import { csvLine, csvRecords, headerIndex, LineError } from '../input';
import { Progress } from '../progress';
import { EXIT, printLineErrors } from '../report';

export interface ClearOptions {
  channel?: string;
  purpose?: string;
  product?: string;
  out?: string;
  chunkSize?: string;
  json?: boolean;
}

type SingleField = 'email' | 'phone' | 'customerId' | 'emailHash' | 'phoneHash';
/** `postal`: the columns name, street and postalCode (city optional) together, one postal identity (issue 17). */
type IdentifierField = SingleField | 'postal';

/** Which column identifies the contact for a channel: the address the campaign will actually use comes first. */
const PREFERENCE: Record<Channel, IdentifierField[]> = {
  email: ['email', 'emailHash', 'customerId'],
  sms: ['phone', 'phoneHash', 'customerId'],
  phone: ['phone', 'phoneHash', 'customerId'],
  post: ['postal', 'customerId', 'email', 'phone', 'emailHash', 'phoneHash'],
};
/** The header names of a postal identity's columns (matched without regard to case), the last one optional. */
const POSTAL_COLUMNS = ['name', 'street', 'postalCode', 'city'] as const;
const FIELD_BY_COLUMN = new Map<string, IdentifierField>([
  ['email', 'email'],
  ['phone', 'phone'],
  ['customerid', 'customerId'],
  ['emailhash', 'emailHash'],
  ['phonehash', 'phoneHash'],
]);
const CAMPAIGN_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const CUSTOMER_ID = /^[A-Za-z0-9_-]{1,64}$/;
const HEX64 = /^[0-9a-f]{64}$/;
/** The clearance route takes at most 10 000 contacts; each request stores one audit record. */
const MAX_CHUNK = 10_000;

const VALID: Record<SingleField, (v: string) => boolean> = {
  email: (v) => normaliseEmail(v) !== null,
  phone: (v) => normalisePhone(v) !== null,
  customerId: (v) => CUSTOMER_ID.test(v),
  emailHash: (v) => HEX64.test(v),
  phoneHash: (v) => HEX64.test(v),
};
const INVALID: Record<SingleField, string> = {
  email: 'not a valid e-mail address',
  phone: 'not a valid phone number',
  customerId: 'not a customer id (1-64 of A-Z a-z 0-9 _ -)',
  emailHash: 'not 64 lower-case hex characters',
  phoneHash: 'not 64 lower-case hex characters',
};

interface Row {
  line: number;
  cells: string[];
  /** The contact as the clearance route takes it: one identifier, or a postal identity's fields. */
  contact: Record<string, string>;
}

/** Where a field's values are: one column, or a postal identity's columns (city's absent when the file has none). */
interface Column {
  field: IdentifierField;
  index: number;
  postal?: Partial<Record<(typeof POSTAL_COLUMNS)[number], number>>;
}

function columnOf(field: IdentifierField, index: Map<string, number>): Column[] {
  if (field !== 'postal') {
    const column = [...FIELD_BY_COLUMN].find(([, f]) => f === field)![0];
    return index.has(column) ? [{ field, index: index.get(column)! }] : [];
  }
  const postal: Column['postal'] = {};
  for (const name of POSTAL_COLUMNS) if (index.has(name.toLowerCase())) postal[name] = index.get(name.toLowerCase());
  return postal.name !== undefined && postal.street !== undefined && postal.postalCode !== undefined
    ? [{ field, index: postal.name, postal }]
    : [];
}

/** The contact of a row by a column, or what is wrong with it (named as the column's header says). */
function contactOf(column: Column, cells: string[]): { contact: Record<string, string> } | { error: string } {
  if (!column.postal) {
    const value = cells[column.index].trim();
    return VALID[column.field as SingleField](value)
      ? { contact: { [column.field]: value } }
      : { error: `column ${column.field}: ${INVALID[column.field as SingleField]}` };
  }
  const contact: Record<string, string> = {};
  for (const [name, index] of Object.entries(column.postal)) {
    const value = cells[index]?.trim() ?? '';
    if (value !== '' || name !== 'city') contact[name] = value;
  }
  const errors: { field: string; message: string }[] = [];
  normalisePostalIdentity(contact, errors);
  return errors.length === 0
    ? { contact }
    : { error: errors.map((e) => `column ${e.field}: ${e.message.replace(`${e.field} must`, 'must')}`).join('; ') };
}

/** Whether a row gives a value for the column (a postal identity: any of its fields). */
const given = (column: Column, cells: string[]) =>
  column.postal
    ? Object.values(column.postal).some((i) => (cells[i] ?? '').trim() !== '')
    : cells[column.index].trim() !== '';

type ScannedRow = { header: string[] } | { row: Row } | { error: LineError };

/** The rows of a campaign file with the identifier each is checked by, or the reason it cannot be checked. */
export async function* scanCampaignFile(file: string, channel: Channel): AsyncGenerator<ScannedRow> {
  let columns: Column[] | undefined;
  for await (const { line, cells } of csvRecords(file)) {
    if (!columns) {
      const index = headerIndex(cells);
      columns = PREFERENCE[channel].flatMap((field) => columnOf(field, index));
      if (columns.length === 0) {
        yield {
          error: {
            line,
            message: `the header has no column to check the ${channel} channel by (${PREFERENCE[channel].map((f) => (f === 'postal' ? 'name + street + postalCode' : f)).join(', ')})`,
          },
        };
        return;
      }
      yield { header: cells };
      continue;
    }
    const chosen = columns.find((c) => given(c, cells));
    if (!chosen) {
      yield {
        error: { line, message: `no ${columns.map((c) => c.field).join(' or ')} to check the ${channel} channel by` },
      };
      continue;
    }
    const checked = contactOf(chosen, cells);
    if ('error' in checked) {
      yield { error: { line, message: checked.error } };
      continue;
    }
    yield { row: { line, cells, contact: checked.contact } };
  }
}

interface Reason {
  code: string;
  rule: string;
  source: string;
  since: string | null;
}
interface ClearanceResponse {
  id: string;
  campaignId: string;
  at: string;
  total: number;
  allowed: number;
  suppressed: number;
  inputSha256: string;
  asOf: string;
  results: { ref: number | string | null; decision: 'allow' | 'suppress'; reasons: Reason[] }[];
}

async function write(stream: WriteStream, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain');
}

async function close(stream: WriteStream): Promise<void> {
  stream.end();
  await once(stream, 'finish');
}

/**
 * `kielto clear <campaignId> <contacts.csv>`: checks every row of a campaign file through campaign clearance (chunks
 * of at most 10 000, each stored as an audit record), and writes allowed.csv (the rows as they were) and
 * suppressed.csv (plus the reasons and the rules they cite), with clearance.json holding the audit records.
 */
export async function clearCommand(
  client: KieltoClient,
  campaignId: string,
  file: string,
  options: ClearOptions,
): Promise<number> {
  if (!CAMPAIGN_ID.test(campaignId)) throw new Error('campaignId must be 1-128 characters of A-Z a-z 0-9 . _ : -');
  const channel = options.channel as Channel;
  const purpose = options.purpose as Purpose;
  if (!(CHANNELS as readonly string[]).includes(channel))
    throw new Error(`--channel must be one of ${CHANNELS.join(', ')}`);
  if (!(PURPOSES as readonly string[]).includes(purpose))
    throw new Error(`--purpose must be one of ${PURPOSES.join(', ')}`);
  const product = options.product;
  if (product !== undefined && !(PRODUCTS as readonly string[]).includes(product))
    throw new Error(`--product must be one of ${PRODUCTS.join(', ')}`);
  const chunkSize = Number(options.chunkSize ?? MAX_CHUNK);
  if (!Number.isInteger(chunkSize) || chunkSize < 1 || chunkSize > MAX_CHUNK) {
    throw new Error(`--chunk-size must be an integer from 1 to ${MAX_CHUNK}`);
  }
  const outDir = options.out ?? '.';
  const name = basename(file);
  const started = Date.now();

  // Pass 1: every row must be checkable, or nothing is sent (no clearance records for a half-read file).
  const errors: LineError[] = [];
  let errorCount = 0;
  let rows = 0;
  for await (const item of scanCampaignFile(file, channel)) {
    if ('error' in item) {
      errorCount++;
      if (errors.length < 50) errors.push(item.error);
    } else if ('row' in item) rows++;
  }
  if (errorCount > 0) {
    printLineErrors(
      name,
      errors,
      errorCount,
      'Nothing was checked and no clearance was recorded: fix these lines and run the command again.',
    );
    return EXIT.dataError;
  }
  if (rows === 0) {
    process.stderr.write(`kielto clear: ${name} has no contacts; nothing was checked.\n`);
    return EXIT.dataError;
  }

  // Pass 2: clear chunk by chunk, writing the outputs under temporary names until everything succeeded.
  await mkdir(outDir, { recursive: true });
  const paths = {
    allowed: join(outDir, 'allowed.csv'),
    suppressed: join(outDir, 'suppressed.csv'),
    record: join(outDir, 'clearance.json'),
  };
  const partial = (path: string) => `${path}.partial`;
  const allowedOut = createWriteStream(partial(paths.allowed), { mode: 0o600 });
  const suppressedOut = createWriteStream(partial(paths.suppressed), { mode: 0o600 });
  const records: Omit<ClearanceResponse, 'results'>[] = [];
  const byReason = new Map<string, number>();
  const totals = { allowed: 0, suppressed: 0 };
  const progress = new Progress('clear', rows, 'contacts');
  let chunk: Row[] = [];

  const clearChunk = async () => {
    const response = await client.json<ClearanceResponse>(
      'suppression',
      `/v1/campaigns/${encodeURIComponent(campaignId)}/clearance`,
      {
        method: 'POST',
        contentType: 'application/json',
        body: JSON.stringify({
          channel,
          purpose,
          ...(product ? { product } : {}),
          contacts: chunk.map((r) => ({ ref: r.line, ...r.contact })),
        }),
        // A suppression list that is momentarily stale answers 503 + Retry-After (fail closed): wait and retry.
        retries: 10,
      },
    );
    const { results, ...record } = response;
    records.push(record);
    if (results.length !== chunk.length)
      throw new Error(`clearance ${record.id} answered ${results.length} results for ${chunk.length} contacts`);
    for (let i = 0; i < chunk.length; i++) {
      const row = chunk[i];
      const result = results[i];
      if (result.ref !== row.line)
        throw new Error(`clearance ${record.id}: result ${i} is for ref ${String(result.ref)}, expected ${row.line}`);
      if (result.decision === 'allow') {
        totals.allowed++;
        await write(allowedOut, csvLine(row.cells));
      } else {
        totals.suppressed++;
        // Counted by the first (highest-precedence) reason, so the counts add up to the suppressed total.
        const first = result.reasons[0]?.code ?? 'unknown';
        byReason.set(first, (byReason.get(first) ?? 0) + 1);
        const codes = result.reasons.map((r) => r.code).join(';');
        const rules = [...new Set(result.reasons.map((r) => r.rule))].join(';');
        await write(suppressedOut, csvLine([...row.cells, codes, rules]));
      }
    }
    progress.increment(chunk.length);
    chunk = [];
  };

  try {
    for await (const item of scanCampaignFile(file, channel)) {
      if ('error' in item)
        throw new Error(`${name} changed while clearing (line ${item.error.line}); run the command again`);
      if ('header' in item) {
        await write(allowedOut, csvLine(item.header));
        await write(suppressedOut, csvLine([...item.header, 'reasons', 'rules']));
        continue;
      }
      chunk.push(item.row);
      if (chunk.length === chunkSize) await clearChunk();
    }
    if (chunk.length > 0) await clearChunk();
    await Promise.all([close(allowedOut), close(suppressedOut)]);
  } catch (error) {
    progress.stop();
    // Closed, not destroyed: destroying a stream with writes still queued raises an unhandled 'error' event.
    await Promise.allSettled([close(allowedOut), close(suppressedOut)]);
    await Promise.all([rm(partial(paths.allowed), { force: true }), rm(partial(paths.suppressed), { force: true })]);
    // No API key is a usage error (exit 2) before anything is sent, not a failed clearance.
    if (error instanceof UsageError) throw error;
    const done = records.length;
    process.stderr.write(
      `kielto clear: ${(error as Error).message}\n` +
        `No output files were written. ${done === 0 ? 'No clearance was recorded.' : `${done} chunk(s) had already been cleared and recorded (${records.map((r) => r.id).join(', ')}); running the command again records a new clearance.`}\n`,
    );
    return EXIT.failure;
  }
  progress.stop();

  const summary = {
    campaignId,
    file: name,
    channel,
    purpose,
    ...(product ? { product } : {}),
    total: rows,
    allowed: totals.allowed,
    suppressed: totals.suppressed,
    suppressedByReason: Object.fromEntries([...byReason].sort((a, b) => b[1] - a[1])),
    clearances: records,
  };
  await writeFile(partial(paths.record), `${JSON.stringify(summary, null, 2)}\n`, { mode: 0o600 });
  await rename(partial(paths.allowed), paths.allowed);
  await rename(partial(paths.suppressed), paths.suppressed);
  await rename(partial(paths.record), paths.record);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (options.json) {
    const { clearances, ...brief } = summary;
    process.stdout.write(
      `${JSON.stringify({ ...brief, clearanceIds: clearances.map((c) => c.id), outputs: paths, seconds: Number(seconds) })}\n`,
    );
  } else {
    const reasons = [...byReason].map(([code, n]) => `${code} ${n}`).join(', ');
    process.stdout.write(
      `Cleared ${rows} contacts of campaign ${campaignId} for ${channel}/${purpose} in ${seconds} s: ` +
        `${totals.allowed} allowed, ${totals.suppressed} suppressed${reasons ? ` (${reasons})` : ''}.\n` +
        `${records.length} clearance record${records.length === 1 ? '' : 's'} stored. Wrote ${paths.allowed}, ${paths.suppressed}, ${paths.record}.\n`,
    );
  }
  return EXIT.ok;
}
