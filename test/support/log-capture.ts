import SonicBoom from 'sonic-boom';

/** Keep the run quiet: info and below are only captured, warnings and errors are shown too. */
const shown = (text: string) => !/"level":(10|20|30),/.test(text);

/**
 * Captures every line the services of this jest worker log (pino writes through SonicBoom or process.stdout), so a
 * test can scan them for personal data. Call at module load, before the services start; `restore` in afterAll.
 */
export function captureLogs(): { lines: string[]; restore(): void } {
  const lines: string[] = [];
  const originalWrite = SonicBoom.prototype.write;
  SonicBoom.prototype.write = function (this: SonicBoom, data: string): boolean {
    lines.push(data);
    return shown(data) ? originalWrite.call(this, data) : true;
  };
  const originalStdout = process.stdout.write.bind(process.stdout);
  const originalStderr = process.stderr.write.bind(process.stderr);
  const capture =
    (original: typeof process.stdout.write) =>
    (chunk: string | Uint8Array, ...rest: never[]): boolean => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      lines.push(text);
      return shown(text) ? original(chunk, ...rest) : true;
    };
  process.stdout.write = capture(originalStdout) as typeof process.stdout.write;
  process.stderr.write = capture(originalStderr) as typeof process.stderr.write;
  return {
    lines,
    restore() {
      SonicBoom.prototype.write = originalWrite;
      process.stdout.write = originalStdout;
      process.stderr.write = originalStderr;
    },
  };
}
