import type { LineError } from './input';

/** Exit codes (sysexits where one fits): scripts can tell bad input from an unavailable service. */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  /** EX_DATAERR: the input file is invalid; nothing was sent. */
  dataError: 65,
  /** EX_UNAVAILABLE: a service is not ready. */
  unavailable: 69,
} as const;

/** Prints the bad lines of a file (the first 50) and what happened. */
export function printLineErrors(file: string, errors: LineError[], total: number, outcome: string): void {
  const out = [`kielto: ${file} has ${total} error${total === 1 ? '' : 's'}. ${outcome}`];
  for (const e of errors) out.push(`  line ${e.line}: ${e.message}`);
  if (total > errors.length) out.push(`  … and ${total - errors.length} more`);
  process.stderr.write(`${out.join('\n')}\n`);
}
