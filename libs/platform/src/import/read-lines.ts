import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';
import { ProblemException } from '../http/problem';

/** The longest NDJSON line a route reads (a streamed check's contact, an import's row): no row needs a fraction of it. */
export const MAX_LINE_LENGTH = 16 * 1024;

/**
 * Splits a byte stream into lines (LF or CRLF), enforcing the size limit of the whole body and of each line (the
 * MAX_LINE_LENGTH, shared with the streamed check). Only the new chunk is searched for
 * a newline, and a line may not grow past the limit: one huge line used to be re-scanned with every chunk
 * (quadratic in its length) and held whole in memory.
 */
export async function readLines(body: Readable, onLine: (line: string) => void, maxBytes: number): Promise<void> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  let bytes = 0;
  let lineNo = 0;
  const emit = (line: string) => {
    lineNo++;
    onLine(line);
  };
  for await (const chunk of body as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    if (bytes > maxBytes) {
      throw new ProblemException(413, 'content-too-large', 'The import is too large', [
        { field: 'body', message: `body exceeds ${maxBytes} bytes` },
      ]);
    }
    const fresh = decoder.write(chunk);
    let nl = fresh.indexOf('\n');
    if (nl === -1) {
      rest += fresh;
    } else {
      let line = rest + fresh.slice(0, nl);
      for (;;) {
        if (line.length > MAX_LINE_LENGTH + 1) throw lineTooLong(lineNo + 1);
        emit(line.endsWith('\r') ? line.slice(0, -1) : line);
        const start = nl + 1;
        nl = fresh.indexOf('\n', start);
        if (nl === -1) {
          rest = fresh.slice(start);
          break;
        }
        line = fresh.slice(start, nl);
      }
    }
    if (rest.length > MAX_LINE_LENGTH + 1) throw lineTooLong(lineNo + 1);
  }
  rest += decoder.end();
  if (rest.length > MAX_LINE_LENGTH + 1) throw lineTooLong(lineNo + 1);
  if (rest.length > 0) emit(rest.endsWith('\r') ? rest.slice(0, -1) : rest);
}

const lineTooLong = (line: number) =>
  new ProblemException(400, 'line-too-long', `Line ${line} is longer than ${MAX_LINE_LENGTH} characters`, [
    { field: `line ${line}`, message: `line ${line} must be at most ${MAX_LINE_LENGTH} characters` },
  ]);
