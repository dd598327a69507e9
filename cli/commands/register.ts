import { createReadStream, statSync } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { REGISTERS, RegisterName } from '@kielto/contracts';
import { KieltoClient, ProblemError, UsageError } from '../http';
import { Progress } from '../progress';
import { EXIT } from '../report';

export interface RegisterOptions {
  date: string;
  format?: 'csv' | 'ndjson';
  json?: boolean;
}

interface SnapshotSummary {
  register: RegisterName;
  registerDate: string;
  rows: number;
  added: number;
  removed: number;
  unchanged: number;
  repeated: number;
  inputSha256: string;
}

/**
 * `kielto register asml-phone FILE --date YYYY-MM-DD`: streams a full register snapshot (CSV with a header, or NDJSON)
 * to `PUT /v1/suppression/registers/<register>` with a progress bar over the bytes sent, and prints the summary.
 * The service validates every row before it changes anything: bad rows are listed by line (exit 65).
 */
export async function registerCommand(
  client: KieltoClient,
  register: string,
  file: string,
  options: RegisterOptions,
): Promise<number> {
  if (!(REGISTERS as readonly string[]).includes(register)) {
    throw new UsageError(`unknown register ${register}; registers: ${REGISTERS.join(', ')}`);
  }
  if (!/^\d{4}-\d{2}-\d{2}$/.test(options.date ?? '')) throw new UsageError('--date must be YYYY-MM-DD');
  const format = options.format ?? (/\.csv$/i.test(file) ? 'csv' : 'ndjson');
  const size = statSync(file).size;
  const progress = new Progress(`${register}`, size, 'bytes');
  const counted = createReadStream(file).pipe(
    new Transform({
      transform(chunk: Buffer, _encoding, done) {
        progress.increment(chunk.length);
        done(null, chunk);
      },
    }),
  );
  let summary: SnapshotSummary;
  try {
    const response = await client.request('suppression', `/v1/suppression/registers/${register}`, {
      method: 'PUT',
      contentType: format === 'csv' ? 'text/csv' : 'application/x-ndjson',
      headers: { 'x-register-date': options.date },
      body: Readable.toWeb(counted) as ReadableStream<Uint8Array>,
    });
    summary = (await response.json()) as SnapshotSummary;
  } catch (error) {
    progress.stop();
    if (error instanceof ProblemError && error.status === 400 && error.problem.errors?.some((e) => 'line' in e)) {
      const lines = error.problem.errors.map(
        (e) => `  line ${(e as { line?: number }).line}: ${e.field}: ${e.message}`,
      );
      process.stderr.write(`kielto: ${error.problem.detail ?? 'invalid rows'}\n${lines.join('\n')}\n`);
      return EXIT.dataError;
    }
    throw error;
  }
  progress.stop();
  process.stdout.write(
    options.json
      ? `${JSON.stringify(summary)}\n`
      : `${summary.register} ${summary.registerDate}: ${summary.rows} rows, ${summary.added} added, ` +
          `${summary.removed} removed, ${summary.unchanged} unchanged` +
          `${summary.repeated > 0 ? `, ${summary.repeated} repeated lines` : ''} (sha256 ${summary.inputSha256})\n`,
  );
  return EXIT.ok;
}
