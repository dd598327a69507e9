import { StringDecoder } from 'node:string_decoder';
import { Transform, TransformCallback } from 'node:stream';
import { type FieldError, MAX_LINE_LENGTH } from '@kielto/platform';
import type { Decision } from '../engine';
import { Contact, isHashed, MAX_REF_LENGTH, readContact } from './contact-reader';
import { errorLineJson, refJson, resultLine } from './decision-json';
import { readPlainLine } from './plain-line';

/** A line longer than this is answered with an error line and skipped (no contact needs a fraction of it). */
export { MAX_LINE_LENGTH };

export interface CheckStreamOptions {
  /** Partners may use hashed identifiers only: other lines get an error line. */
  hashedOnly: boolean;
  /** Decides one contact for the stream's channel, purpose and product. */
  decide(contact: Contact, now: number): Decision;
  /**
   * Whether the suppression list is still fresh enough to answer; asked before each input chunk, so that a list
   * turning stale during a long stream ends it rather than answering from stale data (fail closed). A promise
   * when the answer needs Kafka first (a watermark older than the bound is confirmed before the stream ends,
   * FreshnessService.untilFresh); the chunk waits for it, and a rejection counts as stale.
   */
  isFresh?: () => boolean | Promise<boolean>;
}

/** The last line of a stream ended because the list turned stale; lines after `line` were not checked. */
export const staleLineJson = (line: number) =>
  `{"line":${line},"error":"The suppression list fell behind its sources; the stream ends here and lines after this one were not checked","type":"stale-suppression-state"}`;

export interface CheckStreamStats {
  lines: number;
  checked: number;
  allowed: number;
  errors: number;
}

/**
 * NDJSON in, NDJSON out: one output line per non-blank input line, in order — a result `{ref, decision,
 * reasons}` or, for a line that cannot be checked, `{ref?, line, error}` (the stream goes on). If the list
 * turns stale mid-stream, the answer ends with `{line, error, type: "stale-suppression-state"}`. Runs as a
 * Transform piped between the request and the reply, so a slow reader slows the writer down (back-pressure)
 * and memory stays flat for any number of rows.
 *
 * The loop is deliberately plain: lines are split by hand; the common one-identifier line is read by hand
 * (readPlainLine), any other is JSON.parse'd and validated by hand (readContact); each answer is one template string;
 * one output chunk is pushed per input chunk.
 */
export class CheckStream extends Transform {
  readonly stats: CheckStreamStats = { lines: 0, checked: 0, allowed: 0, errors: 0 };
  private readonly decoder = new StringDecoder('utf8');
  private rest = '';
  /** Inside an over-long line: drop input until its newline. */
  private skipping = false;
  /** The list turned stale: the answer is ended, input is drained unread. */
  private stale = false;
  private readonly errors: FieldError[] = [];

  constructor(private readonly options: CheckStreamOptions) {
    super({ readableObjectMode: false, writableHighWaterMark: 64 * 1024, readableHighWaterMark: 256 * 1024 });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    // Once stale, the rest of the input is read and dropped: the answer has ended with its error line.
    if (this.stale) return callback();
    const fresh = this.options.isFresh?.() ?? true;
    if (fresh === true) return this.answer(chunk, callback);
    if (fresh === false) return this.endStale(callback);
    void fresh
      .then(
        (confirmed) => (confirmed ? this.answer(chunk, callback) : this.endStale(callback)),
        () => this.endStale(callback),
      )
      .catch((error: Error) => callback(error));
  }

  /** Ends the answer with the stale line; the rest of the input is drained unread. */
  private endStale(callback: TransformCallback): void {
    this.stale = true;
    this.stats.errors++;
    this.push(staleLineJson(this.stats.lines + 1) + '\n');
    this.push(null);
    callback();
  }

  /** Answers the complete lines of a chunk; an incomplete last line waits for the next chunk. */
  private answer(chunk: Buffer, callback: TransformCallback): void {
    let text = this.decoder.write(chunk);
    let out = '';
    const now = Date.now();
    if (this.skipping) {
      const nl = text.indexOf('\n');
      if (nl === -1) return callback();
      this.skipping = false;
      text = text.slice(nl + 1);
    }
    if (this.rest.length > 0) {
      text = this.rest + text;
      this.rest = '';
    }
    let start = 0;
    for (let nl = text.indexOf('\n', start); nl !== -1; nl = text.indexOf('\n', start)) {
      out += this.line(text, start, nl, now);
      start = nl + 1;
    }
    if (text.length - start > MAX_LINE_LENGTH) {
      out += this.tooLong();
      this.skipping = true;
    } else {
      this.rest = text.slice(start);
    }
    callback(null, out.length > 0 ? out : undefined);
  }

  override _flush(callback: TransformCallback): void {
    if (this.stale) return callback();
    const text = this.rest + this.decoder.end();
    this.rest = '';
    const out = this.skipping ? '' : this.line(text, 0, text.length, Date.now());
    callback(null, out.length > 0 ? out : undefined);
  }

  private tooLong(): string {
    this.stats.lines++;
    this.stats.errors++;
    return errorLineJson(null, this.stats.lines, `line is longer than ${MAX_LINE_LENGTH} characters`) + '\n';
  }

  /** Answers text[start, end) (one physical line); blank lines count for numbering but get no answer. */
  private line(text: string, start: number, end: number, now: number): string {
    const n = ++this.stats.lines;
    if (end > start && text.charCodeAt(end - 1) === 13) end--; // CRLF
    if (end - start > MAX_LINE_LENGTH) {
      this.stats.errors++;
      return errorLineJson(null, n, `line is longer than ${MAX_LINE_LENGTH} characters`) + '\n';
    }
    const plain = readPlainLine(text, start, end);
    if (plain !== undefined) return this.decided(plain, plain.refJson, n, now);
    const line = text.slice(start, end);
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      if (line.trim().length === 0) return '';
      this.stats.errors++;
      return errorLineJson(null, n, 'line is not valid JSON') + '\n';
    }
    const errors = this.errors;
    errors.length = 0;
    const contact = readContact(raw, '', errors);
    if (!contact) {
      this.stats.errors++;
      const ref = refOf(raw);
      return errorLineJson(ref, n, errors.map((e) => e.message).join('; ')) + '\n';
    }
    return this.decided(contact, refJson(contact.ref), n, now);
  }

  /** The answer line for a valid contact on line `n` (`serialisedRef`: its ref as JSON). */
  private decided(contact: Contact, serialisedRef: string, n: number, now: number): string {
    if (this.options.hashedOnly && !isHashed(contact)) {
      this.stats.errors++;
      return errorLineJson(contact.ref, n, 'partners may check hashed identifiers only (emailHash, phoneHash)') + '\n';
    }
    const decision = this.options.decide(contact, now);
    this.stats.checked++;
    if (decision.reasons.length === 0) this.stats.allowed++;
    return resultLine(serialisedRef, decision);
  }
}

function refOf(raw: unknown): string | number | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const ref = (raw as { ref?: unknown }).ref;
  return (typeof ref === 'string' && ref.length <= MAX_REF_LENGTH) || (typeof ref === 'number' && Number.isFinite(ref))
    ? ref
    : null;
}
