import { IdentifierMap, NONE } from './identifier-map';

const DAY_MS = 86_400_000;
const WORDS = 8;
/** Rows a page of first-seen days holds (128 KiB): pages are added, never copied (see IdentifierMap). */
const PAGE_SHIFT = 15;
const PAGE_MASK = (1 << PAGE_SHIFT) - 1;

/** Where a register stands: the last change applied, and the snapshot in force. */
export interface RegisterHead {
  /** Sequence of the last change event applied (0: none). */
  sequence: number;
  /** Epoch ms (midnight UTC) of the newest snapshot fully applied; undefined before the first. */
  date?: number;
  /** SHA-256 hex of that snapshot as uploaded. */
  inputSha256?: string;
}

/** The day number (days since 1970-01-01) of a `YYYY-MM-DD` date. */
export const dayOf = (date: string) => Math.floor(Date.parse(`${date}T00:00:00Z`) / DAY_MS);

/**
 * The rows of one outside register (ASML Robinson): keyed hashes (32 bytes each in an `IdentifierMap`) with the day
 * each was first seen. ~45-50 bytes a row (32 + 4 for the day + 8-16 for the hash table), whatever the register's size.
 *
 * A register changes only by applying its change events in sequence order (`apply`), so every instance that applies
 * the same events holds the same rows and head.
 */
export class RegisterSet {
  private readonly ids = new IdentifierMap();
  /** index → first-seen day + 1, in pages of 2^PAGE_SHIFT rows; 0 for an index not held (freed indices are reused) */
  private readonly firstSeen: Int32Array[] = [];
  private readonly scratch = new Int32Array(WORDS);
  head: RegisterHead = { sequence: 0 };

  get size(): number {
    return this.ids.size;
  }

  /** The row of a keyed hash given as eight big-endian words, or NONE. */
  findWords(words: Int32Array): number {
    return this.ids.size === 0 ? NONE : this.ids.findWords(words);
  }

  /** The row of a keyed hash given as 64 hex characters, or NONE. */
  find(hash: string): number {
    return this.ids.size === 0 ? NONE : this.ids.find(hash);
  }

  /** The row of the 32 bytes at `offset`, or NONE. */
  findBytes(bytes: Buffer, offset: number): number {
    if (this.ids.size === 0) return NONE;
    return this.ids.findWords(this.read(bytes, offset));
  }

  /** Epoch ms (midnight UTC) of the day a row was first seen. */
  since(row: number): number {
    return (this.firstSeen[row >>> PAGE_SHIFT][row & PAGE_MASK] - 1) * DAY_MS;
  }

  /** Adds the 32 bytes at `offset`, first seen on `day`; a row already held keeps its first-seen day. */
  addBytes(bytes: Buffer, offset: number, day: number): void {
    const row = this.ids.internWords(this.read(bytes, offset));
    const page = row >>> PAGE_SHIFT;
    while (this.firstSeen.length <= page) this.firstSeen.push(new Int32Array(PAGE_MASK + 1));
    const days = this.firstSeen[page];
    if (days[row & PAGE_MASK] === 0) days[row & PAGE_MASK] = day + 1;
  }

  /** Removes the 32 bytes at `offset` (nothing when not held). */
  removeBytes(bytes: Buffer, offset: number): void {
    const row = this.findBytes(bytes, offset);
    if (row === NONE) return;
    this.firstSeen[row >>> PAGE_SHIFT][row & PAGE_MASK] = 0;
    this.ids.delete(row);
  }

  /** Writes a row's 32 bytes at `offset`. */
  writeBytes(row: number, into: Buffer, offset: number): void {
    this.ids.wordsOf(row, this.scratch);
    for (let w = 0; w < WORDS; w++) into.writeInt32BE(this.scratch[w], offset + 4 * w);
  }

  /** A row's keyed hash as 64 hex characters. */
  hash(row: number): string {
    return this.ids.text(row);
  }

  /** Every row held, in index order (not sorted). */
  *rows(): Generator<number> {
    for (let page = 0; page < this.firstSeen.length; page++) {
      const days = this.firstSeen[page];
      for (let at = 0; at < days.length; at++) if (days[at] !== 0) yield (page << PAGE_SHIFT) + at;
    }
  }

  /** Rows are indices below this (a per-row bitmap needs this length). */
  get capacity(): number {
    return this.ids.capacity;
  }

  /** Applies one change event; false when it is not newer than the last applied (a redelivery or replay). */
  apply(sequence: number, date: string, added: Buffer, removed: Buffer, snapshot?: { inputSha256: string }): boolean {
    if (sequence <= this.head.sequence) return false;
    const day = dayOf(date);
    for (let at = 0; at + 32 <= removed.length; at += 32) this.removeBytes(removed, at);
    for (let at = 0; at + 32 <= added.length; at += 32) this.addBytes(added, at, day);
    this.head = snapshot
      ? { sequence, date: day * DAY_MS, inputSha256: snapshot.inputSha256 }
      : { ...this.head, sequence };
    return true;
  }

  /** Restores a row exactly as exported (snapshot load). */
  restore(hash: string, since: number): void {
    const bytes = Buffer.from(hash, 'hex');
    this.addBytes(bytes, 0, Math.floor(since / DAY_MS));
  }

  private read(bytes: Buffer, offset: number): Int32Array {
    const words = this.scratch;
    for (let w = 0; w < WORDS; w++) words[w] = bytes.readInt32BE(offset + 4 * w);
    return words;
  }
}
