import { Readable } from 'node:stream';
import { ProblemException } from '../http/problem';

/**
 * The request stream of an NDJSON route, as Fastify hands it to the handler. It is held under a symbol key:
 * platform hooks that inspect JSON bodies (e.g. the nesting-depth guard, which walks `Object.values`) see an
 * empty object instead of walking the socket and server graph of a live request stream.
 */
const STREAM = Symbol('kielto.ndjson-stream');

export interface NdjsonBody {
  readonly [STREAM]: Readable;
}

export const NDJSON = 'application/x-ndjson';

export function ndjsonBody(stream: Readable): NdjsonBody {
  return { [STREAM]: stream };
}

/** The raw stream when the body came in as NDJSON; undefined for any other (parsed) body. */
export function ndjsonStream(body: unknown): Readable | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const stream = (body as Partial<NdjsonBody>)[STREAM];
  return stream instanceof Readable ? stream : undefined;
}

/** The raw stream of an NDJSON route's body; a 415 problem naming the content type for any other body. */
export function requireNdjson(body: unknown): Readable {
  const stream = ndjsonStream(body);
  if (stream) return stream;
  throw new ProblemException(415, 'unsupported-media-type', `Send the rows as ${NDJSON}, one JSON object per line`, [
    { field: 'content-type', message: `content-type must be ${NDJSON}` },
  ]);
}
