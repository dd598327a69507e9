import { Readable } from 'node:stream';
import { ProblemException } from '../http/problem';
import { MAX_LINE_LENGTH, readLines } from './read-lines';

async function linesOf(chunks: string[], maxBytes = 1 << 30): Promise<string[]> {
  const lines: string[] = [];
  await readLines(Readable.from(chunks.map((c) => Buffer.from(c))), (l) => lines.push(l), maxBytes);
  return lines;
}

describe(readLines.name, () => {
  it('splits LF and CRLF lines across chunk boundaries, the last line without a newline too', async () => {
    expect(await linesOf(['{"a":1}\r\n{"b"', ':2}\n\n{"c":3}'])).toEqual(['{"a":1}', '{"b":2}', '', '{"c":3}']);
  });

  it('accepts a line of exactly the limit', async () => {
    const line = 'x'.repeat(MAX_LINE_LENGTH);
    expect(await linesOf([line.slice(0, 100), line.slice(100) + '\r\n'])).toEqual([line]);
  });

  it('refuses a huge line as soon as it passes the limit, naming its line number, without reading on', async () => {
    let pulled = 0;
    const endless = Readable.from(
      (function* () {
        yield Buffer.from('{"ok":1}\n');
        for (;;) {
          pulled++;
          yield Buffer.alloc(64 * 1024, 'x');
        }
      })(),
    );
    const attempt = readLines(endless, () => undefined, 1 << 30);
    await expect(attempt).rejects.toBeInstanceOf(ProblemException);
    await expect(attempt).rejects.toMatchObject({ fieldErrors: [{ field: 'line 2' }] });
    expect(pulled).toBeLessThanOrEqual(2);
  });

  it('refuses a body over the byte limit with 413', async () => {
    await expect(linesOf(['{"a":1}\n'.repeat(100)], 100)).rejects.toMatchObject({ status: 413 });
  });
});
