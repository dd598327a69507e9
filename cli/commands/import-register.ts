import { randomUUID } from 'node:crypto';
import { basename } from 'node:path';
import { KieltoClient, ProblemError, ServiceName } from '../http';
import { csvRecords, formatOf, headerIndex, InputFormat, LineError, ndjsonLines } from '../input';
import { Progress } from '../progress';
import { EXIT, printLineErrors } from '../report';

export const REGISTER_KINDS = ['customers', 'consents', 'bans', 'population-register-bans'] as const;
export type RegisterKind = (typeof REGISTER_KINDS)[number];

export interface RegisterImportOptions {
  format?: string;
  batchSize?: string;
  dryRun?: boolean;
  json?: boolean;
}

/** Where each kind goes. The service validates every row: the rules live there, in the single write's DTO. */
const ROUTES: Record<RegisterKind, { service: ServiceName; path: string; unit: string }> = {
  customers: { service: 'customers', path: '/v1/customers/import', unit: 'customers' },
  consents: { service: 'consents', path: '/v1/consents/import', unit: 'entries' },
  bans: { service: 'directory-bans', path: '/v1/directory-bans/import', unit: 'bans' },
  'population-register-bans': {
    service: 'customers',
    path: '/v1/customers/population-register-bans/import',
    unit: 'customers',
  },
};
/** The services take at most 10 000 rows per request. */
const MAX_BATCH = 10_000;
/** Attempts of a batch that got no answer at all (a 503 or 429 is retried by the client as the service asks). */
const NO_ANSWER_ATTEMPTS = 3;

type Cell = (name: string) => string | undefined;
const list = (value: string | undefined) =>
  value
    ?.split(';')
    .map((v) => v.trim())
    .filter((v) => v !== '');

/**
 * CSV columns per kind → the row as the route takes it. Lists are `;`-separated; contact persons are a JSON array
 * in their cell (a CSV row has no better place for a list of records). Empty cells are absent.
 */
const FROM_CSV: Record<RegisterKind, (cell: Cell) => Record<string, unknown>> = {
  customers: (cell) => {
    const address = ['street', 'postalCode', 'city', 'country'].some((c) => cell(c) !== undefined)
      ? { street: cell('street'), postalCode: cell('postalCode'), city: cell('city'), country: cell('country') }
      : undefined;
    const active = cell('activeContract');
    const persons = cell('contactPersons');
    return {
      ref: cell('ref'),
      kind: cell('kind'),
      name: cell('name'),
      personalIdentityCode: cell('personalIdentityCode'),
      businessId: cell('businessId'),
      language: cell('language'),
      emails: list(cell('emails')),
      phones: list(cell('phones')),
      address,
      contactPersons: persons === undefined ? undefined : (JSON.parse(persons) as unknown),
      activeContract: active === undefined ? undefined : /^(true|1|yes)$/i.test(active),
      products: list(cell('products')),
      customerNumber: cell('customerNumber'),
      customerSince: cell('customerSince'),
    };
  },
  consents: (cell) => {
    const evidence = {
      noticeVersion: cell('noticeVersion'),
      capturedBy: cell('capturedBy'),
      reference: cell('reference'),
    };
    return {
      customerRef: cell('customerRef'),
      customerId: cell('customerId'),
      email: cell('email'),
      phone: cell('phone'),
      channel: cell('channel'),
      purpose: cell('purpose'),
      decision: cell('decision'),
      source: cell('source'),
      recordedAt: cell('recordedAt'),
      expiresAt: cell('expiresAt'),
      evidence: Object.values(evidence).some((v) => v !== undefined) ? evidence : undefined,
    };
  },
  bans: (cell) => ({
    customerRef: cell('customerRef'),
    customerId: cell('customerId'),
    scope: cell('scope'),
    hiddenFields: list(cell('hiddenFields')),
    outlets: list(cell('outlets')),
    reason: cell('reason'),
  }),
  // A DVV refresh line: an empty cell is "no bans" (the list replaces the customer's).
  'population-register-bans': (cell) => ({
    customerNumber: cell('customerNumber'),
    populationRegisterBans: list(cell('populationRegisterBans')) ?? [],
  }),
};

type Scanned = { line: number; row: string } | { error: LineError };

/** The rows of the file as NDJSON lines for the route, with their file lines; unreadable lines as errors. */
async function* scanRows(file: string, format: InputFormat, kind: RegisterKind): AsyncGenerator<Scanned> {
  if (format === 'ndjson') {
    for await (const item of ndjsonLines(file)) {
      if ('error' in item) yield { error: { line: item.line, message: item.error } };
      else yield { line: item.line, row: JSON.stringify(item.value) };
    }
    return;
  }
  let index: Map<string, number> | undefined;
  for await (const { line, cells } of csvRecords(file)) {
    if (!index) {
      index = new Map([...headerIndex(cells)].map(([name, i]) => [name.replace(/[^a-z]/g, ''), i]));
      continue;
    }
    const cell: Cell = (name) => {
      const i = index!.get(name.toLowerCase());
      const value = i === undefined ? undefined : cells[i].trim();
      return value === '' ? undefined : value;
    };
    try {
      yield { line, row: JSON.stringify(FROM_CSV[kind](cell)) };
    } catch {
      yield { error: { line, message: 'column contactPersons: not a JSON array' } };
    }
  }
}

interface BatchAnswer {
  rows: number;
  imported: number;
  alreadyPresent: number;
  replayed: boolean;
}

/**
 * `kielto import customers|consents|bans|population-register-bans FILE`: the whole file is validated first, batch by batch, by the service
 * itself (`dryRun`: its rules, nothing written); any bad line and nothing is imported. Then the batches are sent for
 * real, each with an Idempotency-Key of this run: a batch retried after a 503 or a lost answer is completed, not
 * doubled, and counted once. Running the file again after an interruption skips what is held (deterministic ids).
 */
export async function importRegisterCommand(
  client: KieltoClient,
  kind: RegisterKind,
  file: string,
  options: RegisterImportOptions,
): Promise<number> {
  const format = formatOf(file, options.format);
  const batchSize = Number(options.batchSize ?? 1000);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH) {
    throw new Error(`--batch-size must be an integer from 1 to ${MAX_BATCH}`);
  }
  const route = ROUTES[kind];
  const name = basename(file);
  const started = Date.now();
  const runId = randomUUID();

  const batches = async function* (): AsyncGenerator<{ lines: number[]; rows: string[] } | { error: LineError }> {
    let lines: number[] = [];
    let rows: string[] = [];
    for await (const item of scanRows(file, format, kind)) {
      if ('error' in item) {
        yield item;
        continue;
      }
      lines.push(item.line);
      rows.push(item.row);
      if (rows.length >= batchSize) {
        yield { lines, rows };
        lines = [];
        rows = [];
      }
    }
    if (rows.length > 0) yield { lines, rows };
  };
  const send = async (batch: { rows: string[] }, number: number, dryRun: boolean): Promise<BatchAnswer> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await client.json<BatchAnswer>(route.service, `${route.path}${dryRun ? '?dryRun=true' : ''}`, {
          method: 'POST',
          body: `${batch.rows.join('\n')}\n`,
          contentType: 'application/x-ndjson',
          headers: { 'idempotency-key': `${runId}:${number}` },
          retries: 10,
        });
      } catch (error) {
        if (error instanceof ProblemError || attempt >= NO_ANSWER_ATTEMPTS) throw error;
      }
    }
  };

  // Pass 1: every line validated by the service (dryRun), nothing written; file lines named in every error.
  const errors: LineError[] = [];
  let errorCount = 0;
  let total = 0;
  let number = 0;
  for await (const batch of batches()) {
    if ('error' in batch) {
      errorCount++;
      if (errors.length < 50) errors.push(batch.error);
      continue;
    }
    total += batch.rows.length;
    try {
      await send(batch, ++number, true);
    } catch (error) {
      if (!(error instanceof ProblemError) || error.status >= 500) throw error;
      const found = error.problem.errors ?? [{ message: error.message }];
      errorCount += found.length;
      for (const e of found) {
        if (errors.length >= 50) break;
        const line = e.line !== undefined ? batch.lines[e.line - 1] : batch.lines[0];
        errors.push({ line, message: `${e.field ? `${e.field}: ` : ''}${e.message ?? ''}` });
      }
    }
  }
  if (errorCount > 0) {
    printLineErrors(
      name,
      errors.sort((a, b) => a.line - b.line),
      errorCount,
      'Nothing was imported: fix these lines and run the command again.',
    );
    return EXIT.dataError;
  }
  if (total === 0) {
    process.stderr.write(`kielto import: ${name} has no rows; nothing was imported.\n`);
    return EXIT.dataError;
  }
  if (options.dryRun) {
    process.stdout.write(`${name}: ${total} valid ${route.unit}; nothing was imported (--dry-run).\n`);
    return EXIT.ok;
  }

  // Pass 2: the batches for real, each all-or-nothing and idempotent on the service.
  const progress = new Progress(`import ${kind}`, total, route.unit);
  const totals = { imported: 0, alreadyPresent: 0, failed: 0, batches: 0 };
  number = 0;
  let failure: Error | undefined;
  for await (const batch of batches()) {
    if ('error' in batch)
      throw new Error(`${name} changed while importing (line ${batch.error.line}); run the command again`);
    number++;
    if (failure) {
      totals.failed += batch.rows.length;
      continue;
    }
    try {
      const answer = await send(batch, number, false);
      totals.imported += answer.imported;
      totals.alreadyPresent += answer.alreadyPresent;
      totals.batches++;
    } catch (error) {
      failure = error as Error;
      totals.failed += batch.rows.length;
    }
    progress.increment(batch.rows.length);
  }
  progress.stop();
  const seconds = Number(((Date.now() - started) / 1000).toFixed(1));
  const summary = { file: name, kind, rows: total, ...totals, seconds };
  process.stdout.write(
    options.json
      ? `${JSON.stringify(summary)}\n`
      : `Imported ${totals.imported} ${route.unit} from ${name} (${totals.alreadyPresent} already present, ` +
          `${totals.failed} failed) in ${totals.batches} batch${totals.batches === 1 ? '' : 'es'}, ${seconds} s.\n`,
  );
  if (failure) {
    process.stderr.write(
      `kielto import: ${failure.message}\nThe batches before it are imported; it and the rest were not (a batch is ` +
        'all-or-nothing). Run the same command again: what is held is skipped.\n',
    );
    return EXIT.failure;
  }
  return EXIT.ok;
}
