import type { RegisterName } from '@kielto/contracts';
import type { RegisterHead } from './register-set';
import type { FormerPoint, HeldPoint, StateFact, SuppressionState } from './suppression-state';

/**
 * The stored form of a snapshot chunk (format 3, `SNAPSHOT_FORMAT`): binary, read without parsing text.
 *
 *   chunk := uint wordCount, word × wordCount, fact × n
 *   word  := str                                             the chunk's dictionary of short repeated strings
 *   fact  := u8 tag, fields of the tag in `writeFact` order
 *   uint  := unsigned LEB128 (7 bits a byte, low first)
 *   num   := uint 2v for an integer 0 ≤ v < 2^52 (times, sequences) | uint 1, f64 LE for any other number
 *   opt   := u8 0 | u8 1, num                                an optional number
 *   str   := uint byteLength, UTF-8 bytes
 *   word# := uint index into the dictionary                  (kinds, owners, channels, purposes, decisions…)
 *   id    := u8 1, 32 bytes                                  a keyed hash (64 lower-case hex characters)
 *          | u8 0, str                                       any other identifier text
 *   key   := u8 2, word# kind, 32 bytes                      a ledger subject `<kind>:<hash>`
 *          | u8 0, str                                       any other subject key
 *
 * Tags 8 (a register's head: word# name, num sequence, opt date, str inputSha256) and 9 (a register row: word# name,
 * id, num first seen) came with the outside registers; a snapshot of a state without registers has neither. Tag 10
 * (str customerId: the customer's DVV ban) follows the customer's own fact.
 *
 * Keyed hashes are random bytes that no compressor shrinks, so a chunk is stored as it is: a million identifiers
 * make ~55 MB, decoded at cold start with no gunzip, no JSON and no tuple per fact (format 2's gzipped JSON
 * tuples took as long to decode as to apply).
 */
export interface EncodedChunk {
  data: Buffer;
  facts: number;
}

/** Facts per chunk: ~0.6 MB, far below a document's 16 MB. */
export const FACTS_PER_CHUNK = 10_000;

const CUSTOMER = 1;
const LEDGER = 2;
const FLOOR = 3;
const ERASED = 4;
const BAN = 5;
const STAFF = 6;
const REMOVED = 7;
/** A register's head, then its rows (tags added with the registers; a snapshot without registers has none). */
const REGISTER = 8;
const REGISTER_ROW = 9;
/** A customer's DVV ban (tag added with them, after the customer's own fact). */
const POPULATION_BAN = 10;

const TEXT = 0;
const HASH = 1;
const HASH_KEY = 2;
const HEX64 = /^[0-9a-f]{64}$/;

class ChunkWriter {
  private buffer = Buffer.allocUnsafe(1 << 20);
  private at = 0;
  private readonly dictionary = new Map<string, number>();
  facts = 0;

  private room(bytes: number): void {
    if (this.at + bytes <= this.buffer.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.at + bytes));
    this.buffer.copy(next, 0, 0, this.at);
    this.buffer = next;
  }

  u8(value: number): void {
    this.room(1);
    this.buffer[this.at++] = value;
  }

  uint(value: number): void {
    this.room(8);
    while (value >= 0x80) {
      this.buffer[this.at++] = value % 0x80 | 0x80;
      value = Math.floor(value / 0x80);
    }
    this.buffer[this.at++] = value;
  }

  num(value: number): void {
    if (Number.isInteger(value) && value >= 0 && value < 2 ** 52) this.uint(value * 2);
    else {
      this.uint(1);
      this.room(8);
      this.at = this.buffer.writeDoubleLE(value, this.at);
    }
  }

  opt(value: number | undefined): void {
    if (value === undefined) this.u8(0);
    else {
      this.u8(1);
      this.num(value);
    }
  }

  str(value: string): void {
    const length = Buffer.byteLength(value, 'utf8');
    this.uint(length);
    this.room(length);
    this.at += this.buffer.write(value, this.at, 'utf8');
  }

  word(value: string): void {
    let index = this.dictionary.get(value);
    if (index === undefined) this.dictionary.set(value, (index = this.dictionary.size));
    this.uint(index);
  }

  id(value: string): void {
    if (HEX64.test(value)) {
      this.u8(HASH);
      this.room(32);
      this.at += this.buffer.write(value, this.at, 'hex');
    } else {
      this.u8(TEXT);
      this.str(value);
    }
  }

  key(value: string): void {
    const colon = value.indexOf(':');
    if (colon > 0 && HEX64.test(value.slice(colon + 1))) {
      this.u8(HASH_KEY);
      this.word(value.slice(0, colon));
      this.room(32);
      this.at += this.buffer.write(value.slice(colon + 1), this.at, 'hex');
    } else {
      this.u8(TEXT);
      this.str(value);
    }
  }

  point(p: HeldPoint): void {
    this.word(p.kind);
    this.id(p.hash);
    this.word(p.owner);
    this.str(p.person ?? '');
    this.num(p.from);
  }

  /** The chunk: its dictionary, then the facts. */
  finish(): EncodedChunk {
    const words = [...this.dictionary.keys()];
    const head = new ChunkWriter();
    head.uint(words.length);
    for (const w of words) head.str(w);
    return {
      data: Buffer.concat([head.buffer.subarray(0, head.at), this.buffer.subarray(0, this.at)]),
      facts: this.facts,
    };
  }
}

function writeFact(w: ChunkWriter, fact: StateFact): void {
  w.facts++;
  switch (fact.type) {
    case 'customer': {
      const r = fact.record;
      w.u8(CUSTOMER);
      w.str(r.customerId);
      w.num(r.sequence);
      w.word(r.kind);
      w.num(r.since);
      w.opt(r.restrictedSince);
      w.opt(r.erasedAt);
      w.u8(r.activeContract ? 1 : 0);
      w.opt(r.relationshipEndedAt);
      w.u8(r.mobileSubscription ? 1 : 0);
      w.uint(r.contactPoints.length);
      for (const p of r.contactPoints) w.point(p);
      w.uint(r.formerContactPoints.length);
      for (const p of r.formerContactPoints) {
        w.point(p);
        w.num(p.until);
      }
      return;
    }
    case 'ledger': {
      const e = fact.entry;
      w.u8(LEDGER);
      w.key(e.subjectKey);
      w.num(e.sequence);
      w.word(e.channel);
      w.word(e.purpose);
      w.word(e.decision);
      w.num(e.at);
      w.opt(e.expiresAt);
      return;
    }
    case 'floor':
      w.u8(FLOOR);
      w.key(fact.subjectKey);
      w.num(fact.below);
      return;
    case 'erased':
      w.u8(ERASED);
      w.id(fact.hash);
      w.num(fact.at);
      return;
    case 'ban':
      w.u8(BAN);
      w.str(fact.ban.customerId);
      w.num(fact.ban.sequence);
      w.opt(fact.ban.fullSince);
      return;
    case 'staff': {
      const e = fact.entry;
      w.u8(STAFF);
      w.str(e.id);
      w.id(e.hash);
      w.word(e.kind);
      w.word(e.reason);
      w.word(e.channel);
      w.num(e.since);
      return;
    }
    case 'removed':
      w.u8(REMOVED);
      w.str(fact.id);
      w.num(fact.at);
      return;
    case 'register':
      w.u8(REGISTER);
      w.word(fact.register);
      w.num(fact.head.sequence);
      w.opt(fact.head.date);
      w.str(fact.head.inputSha256 ?? '');
      return;
    case 'register-row':
      w.u8(REGISTER_ROW);
      w.word(fact.register);
      w.id(fact.hash);
      w.num(fact.since);
      return;
    case 'population-ban':
      w.u8(POPULATION_BAN);
      w.str(fact.customerId);
  }
}

class ChunkReader {
  at = 0;
  private readonly words: string[] = [];

  constructor(private readonly data: Buffer) {
    const count = this.uint();
    for (let i = 0; i < count; i++) this.words.push(this.str());
  }

  get done(): boolean {
    return this.at >= this.data.length;
  }

  u8(): number {
    if (this.at >= this.data.length) throw new Error('snapshot: chunk ends inside a fact');
    return this.data[this.at++];
  }

  uint(): number {
    let value = 0;
    let scale = 1;
    for (;;) {
      const byte = this.u8();
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 0x80;
    }
  }

  num(): number {
    const n = this.uint();
    if (n !== 1) return n / 2;
    const value = this.data.readDoubleLE(this.at);
    this.at += 8;
    return value;
  }

  opt(): number | undefined {
    return this.u8() === 0 ? undefined : this.num();
  }

  str(): string {
    const length = this.uint();
    if (this.at + length > this.data.length) throw new Error('snapshot: chunk ends inside a string');
    const value = this.data.toString('utf8', this.at, (this.at += length));
    return value;
  }

  word<T extends string>(): T {
    const value = this.words[this.uint()];
    if (value === undefined) throw new Error('snapshot: word outside the chunk dictionary');
    return value as T;
  }

  private hash(): string {
    if (this.at + 32 > this.data.length) throw new Error('snapshot: chunk ends inside a hash');
    return this.data.toString('hex', this.at, (this.at += 32));
  }

  id(): string {
    return this.u8() === HASH ? this.hash() : this.str();
  }

  key(): string {
    if (this.u8() !== HASH_KEY) return this.str();
    const kind = this.word();
    return `${kind}:${this.hash()}`;
  }

  point(): HeldPoint {
    const held: HeldPoint = { kind: this.word(), hash: this.id(), owner: this.word(), from: 0 };
    const person = this.str();
    if (person !== '') held.person = person;
    held.from = this.num();
    return held;
  }
}

function readFact(r: ChunkReader): StateFact {
  const tag = r.u8();
  switch (tag) {
    case CUSTOMER: {
      const customerId = r.str();
      const sequence = r.num();
      const kind = r.word<'person' | 'organization'>();
      const since = r.num();
      const restrictedSince = r.opt();
      const erasedAt = r.opt();
      const activeContract = r.u8() === 1;
      const relationshipEndedAt = r.opt();
      const mobileSubscription = r.u8() === 1;
      const contactPoints: HeldPoint[] = [];
      for (let n = r.uint(); n > 0; n--) contactPoints.push(r.point());
      const formerContactPoints: FormerPoint[] = [];
      for (let n = r.uint(); n > 0; n--) formerContactPoints.push({ ...r.point(), until: r.num() });
      return {
        type: 'customer',
        record: {
          customerId,
          sequence,
          kind,
          since,
          restrictedSince,
          erasedAt,
          activeContract,
          relationshipEndedAt,
          mobileSubscription,
          contactPoints,
          formerContactPoints,
        },
      };
    }
    case LEDGER:
      return {
        type: 'ledger',
        entry: {
          subjectKey: r.key(),
          sequence: r.num(),
          channel: r.word(),
          purpose: r.word(),
          decision: r.word(),
          at: r.num(),
          expiresAt: r.opt(),
        },
      };
    case FLOOR:
      return { type: 'floor', subjectKey: r.key(), below: r.num() };
    case ERASED:
      return { type: 'erased', hash: r.id(), at: r.num() };
    case BAN:
      return { type: 'ban', ban: { customerId: r.str(), sequence: r.num(), fullSince: r.opt() } };
    case STAFF:
      return {
        type: 'staff',
        entry: { id: r.str(), hash: r.id(), kind: r.word(), reason: r.word(), channel: r.word(), since: r.num() },
      };
    case REMOVED:
      return { type: 'removed', id: r.str(), at: r.num() };
    case REGISTER: {
      const register = r.word<RegisterName>();
      const sequence = r.num();
      const date = r.opt();
      const inputSha256 = r.str();
      const head: RegisterHead = { sequence };
      if (date !== undefined) head.date = date;
      if (inputSha256 !== '') head.inputSha256 = inputSha256;
      return { type: 'register', register, head };
    }
    case REGISTER_ROW:
      return { type: 'register-row', register: r.word<RegisterName>(), hash: r.id(), since: r.num() };
    case POPULATION_BAN:
      return { type: 'population-ban', customerId: r.str() };
    default:
      throw new Error(`snapshot: unknown fact tag ${tag}`);
  }
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));
/** Facts encoded between two turns of the event loop. */
const FACTS_PER_TURN = 5_000;

/**
 * Encodes the whole state into chunks: the point-in-time copy a snapshot stores, during which the caller must
 * keep the state from changing. It lets the event loop run every few thousand facts, so checks keep being
 * answered; at a million identifiers it takes a fraction of a second.
 */
export async function encodeState(state: SuppressionState, perChunk = FACTS_PER_CHUNK): Promise<EncodedChunk[]> {
  const chunks: EncodedChunk[] = [];
  let writer = new ChunkWriter();
  let sinceYield = 0;
  for (const fact of state.exportFacts()) {
    writeFact(writer, fact);
    if (writer.facts >= perChunk) {
      chunks.push(writer.finish());
      writer = new ChunkWriter();
    }
    if (++sinceYield >= FACTS_PER_TURN) {
      sinceYield = 0;
      await yieldToEventLoop();
    }
  }
  if (writer.facts > 0) chunks.push(writer.finish());
  return chunks;
}

/** Applies one chunk to the state; returns the number of facts it held. */
export function applyChunk(state: SuppressionState, data: Buffer): number {
  const reader = new ChunkReader(data);
  let facts = 0;
  for (; !reader.done; facts++) state.applyFact(readFact(reader));
  return facts;
}
