/** No identifier: what `find` returns for a string that is not held. */
export const NONE = -1;

const WORDS = 8; // 32 bytes of a SHA-256 as eight 32-bit words
/** Identifiers a page of the pool holds (32 768: 1 MiB); the first page grows up to this, later ones are allocated whole. */
const PAGE_SHIFT = 15;
const PAGE_ROWS = 1 << PAGE_SHIFT;
const PAGE_MASK = PAGE_ROWS - 1;
const FIRST_CAPACITY = 16;
const NIBBLE = new Int8Array(128).fill(-1);
for (let c = 0; c < 16; c++) NIBBLE['0123456789abcdef'.charCodeAt(c)] = c;
const HEX_CHARS = Array.from('0123456789abcdef', (c) => c.charCodeAt(0));

/**
 * The identifiers (keyed hashes) the suppression state holds, each under a stable index that other structures
 * use instead of the string: an index is freed only by `delete`, and may then be reused.
 *
 * A hash is 64 lower-case hex characters; as a JavaScript string that costs ~80 bytes, and again as a `Map` key.
 * Here it is 32 bytes in a pool (`Int32Array` pages, eight words an index) found through an open-addressing
 * table of indices with linear probing; lookups parse the hex into a scratch buffer, so nothing is allocated.
 * The pool grows by whole pages, never by copying: a copy leaves the old array's memory behind as a hole in the
 * allocator's heap, which counted several times the pool's own size in the RSS after a million-row register import.
 * Any other string (upper case, another length, not hex) is held as it is in a `Map`: it gets an index all the
 * same, and never equals a hex one, exactly as distinct strings never do.
 */
export class IdentifierMap {
  /** 8 words per index, index i in page i >> PAGE_SHIFT; the words of an index held in `others` are unused. */
  private readonly pages: Int32Array[] = [new Int32Array(FIRST_CAPACITY * WORDS)];
  /** Every index is below this: grows by half whenever reached, whatever the pages allocated. */
  private reserved = FIRST_CAPACITY;
  /** index + 1 of the identifier in each slot, 0 when empty; the size is a power of two. */
  private slots = new Int32Array(32);
  private mask = 31;
  /** identifiers in `slots` */
  private hexCount = 0;
  /** indices ever handed out: every index is below this */
  private end = 0;
  private readonly freed: number[] = [];
  private readonly others = new Map<string, number>();
  private readonly otherNames = new Map<number, string>();
  private readonly scratch = new Int32Array(WORDS);
  private readonly chars = new Uint16Array(64);

  /** Identifiers held. */
  get size(): number {
    return this.hexCount + this.others.size;
  }

  /** Every index is below this (columns indexed by identifier need this length). */
  get capacity(): number {
    return this.reserved;
  }

  /** The index of `text.slice(offset)`, or NONE when it is not held. */
  find(text: string, offset = 0): number {
    if (!this.parse(text, offset)) {
      if (this.others.size === 0) return NONE;
      return this.others.get(offset === 0 ? text : text.slice(offset)) ?? NONE;
    }
    const slot = this.probe();
    const held = this.slots[slot];
    return held === 0 ? NONE : held - 1;
  }

  /** The index of the identifier whose 32 bytes are these eight big-endian words, or NONE when it is not held. */
  findWords(words: Int32Array): number {
    const scratch = this.scratch;
    for (let w = 0; w < WORDS; w++) scratch[w] = words[w];
    const held = this.slots[this.probe()];
    return held === 0 ? NONE : held - 1;
  }

  /** The index of the identifier whose 32 bytes are these eight big-endian words, added if it is not held yet. */
  internWords(words: Int32Array): number {
    this.scratch.set(words.subarray(0, WORDS));
    return this.internScratch();
  }

  /** Copies the eight big-endian words of a keyed hash held under `index` (not of an `others` string) into `into`. */
  wordsOf(index: number, into: Int32Array): void {
    const page = this.pages[index >>> PAGE_SHIFT];
    const base = (index & PAGE_MASK) * WORDS;
    for (let w = 0; w < WORDS; w++) into[w] = page[base + w];
  }

  /** The index of `text.slice(offset)`, added if it is not held yet. */
  intern(text: string, offset = 0): number {
    if (!this.parse(text, offset)) {
      const other = offset === 0 ? text : text.slice(offset);
      let index = this.others.get(other);
      if (index === undefined) {
        index = this.allocate();
        this.others.set(other, index);
        this.otherNames.set(index, other);
      }
      return index;
    }
    return this.internScratch();
  }

  private internScratch(): number {
    const slot = this.probe();
    const held = this.slots[slot];
    if (held !== 0) return held - 1;
    const index = this.allocate();
    const page = this.pages[index >>> PAGE_SHIFT];
    const base = (index & PAGE_MASK) * WORDS;
    for (let w = 0; w < WORDS; w++) page[base + w] = this.scratch[w];
    this.slots[slot] = index + 1;
    if (++this.hexCount * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    return index;
  }

  /** The identifier held under an index, as the string it was added as. */
  text(index: number): string {
    if (this.otherNames.size !== 0) {
      const other = this.otherNames.get(index);
      if (other !== undefined) return other;
    }
    const chars = this.chars;
    const page = this.pages[index >>> PAGE_SHIFT];
    const base = (index & PAGE_MASK) * WORDS;
    for (let w = 0; w < WORDS; w++) {
      const word = page[base + w];
      for (let n = 0; n < 8; n++) chars[w * 8 + n] = HEX_CHARS[(word >>> (28 - 4 * n)) & 15];
    }
    return String.fromCharCode.apply(null, chars as unknown as number[]);
  }

  /** Forgets an identifier; its index may be handed out again. */
  delete(index: number): void {
    const other = this.otherNames.get(index);
    if (other !== undefined) {
      this.otherNames.delete(index);
      this.others.delete(other);
    } else {
      this.wordsOf(index, this.scratch);
      let hole = this.probe();
      if (this.slots[hole] !== index + 1) throw new Error(`IdentifierMap: index ${index} is not held`);
      // Backward-shift deletion: move up every later entry of the run that may not be found past the hole.
      for (let next = (hole + 1) & this.mask; this.slots[next] !== 0; next = (next + 1) & this.mask) {
        const home = this.home(this.slots[next] - 1);
        if (((next - home) & this.mask) >= ((next - hole) & this.mask)) {
          this.slots[hole] = this.slots[next];
          hole = next;
        }
      }
      this.slots[hole] = 0;
      this.hexCount--;
    }
    this.freed.push(index);
  }

  /** Reads 64 lower-case hex characters into `scratch`; false for anything else. */
  private parse(text: string, offset: number): boolean {
    // Not only strings: a Map took any key as an identifier, and so does `others`.
    if (typeof text !== 'string' || text.length - offset !== 64) return false;
    let at = offset;
    for (let w = 0; w < WORDS; w++) {
      let word = 0;
      for (let n = 0; n < 8; n++) {
        const c = text.charCodeAt(at++);
        const nibble = c < 128 ? NIBBLE[c] : -1;
        if (nibble < 0) return false;
        word = (word << 4) | nibble;
      }
      this.scratch[w] = word;
    }
    return true;
  }

  /** The slot holding the identifier in `scratch`, or the empty slot where it would go. */
  private probe(): number {
    const key = this.scratch;
    const pages = this.pages;
    for (let slot = mix(key[0], key[1]) & this.mask; ; slot = (slot + 1) & this.mask) {
      const held = this.slots[slot];
      if (held === 0) return slot;
      const pool = pages[(held - 1) >>> PAGE_SHIFT];
      const base = ((held - 1) & PAGE_MASK) * WORDS;
      if (
        pool[base] === key[0] &&
        pool[base + 1] === key[1] &&
        pool[base + 2] === key[2] &&
        pool[base + 3] === key[3] &&
        pool[base + 4] === key[4] &&
        pool[base + 5] === key[5] &&
        pool[base + 6] === key[6] &&
        pool[base + 7] === key[7]
      ) {
        return slot;
      }
    }
  }

  private home(index: number): number {
    const page = this.pages[index >>> PAGE_SHIFT];
    const base = (index & PAGE_MASK) * WORDS;
    return mix(page[base], page[base + 1]) & this.mask;
  }

  private allocate(): number {
    const index = this.freed.pop() ?? this.end++;
    if (index >= this.reserved) this.reserved = Math.ceil(this.reserved * 1.5);
    const page = index >>> PAGE_SHIFT;
    if (page === this.pages.length) this.pages.push(new Int32Array(PAGE_ROWS * WORDS));
    else if (page === 0 && index * WORDS >= this.pages[0].length) {
      // The first page grows with the capacity (small maps stay small) until it is a whole page.
      const first = new Int32Array(Math.min(PAGE_ROWS, this.reserved) * WORDS);
      first.set(this.pages[0]);
      this.pages[0] = first;
    }
    return index;
  }

  private rehash(size: number): void {
    const old = this.slots;
    this.slots = new Int32Array(size);
    this.mask = size - 1;
    for (const held of old) {
      if (held === 0) continue;
      let slot = this.home(held - 1);
      while (this.slots[slot] !== 0) slot = (slot + 1) & this.mask;
      this.slots[slot] = held;
    }
  }
}

/** Spreads the first 64 bits of a hash over the table (keyed hashes are uniform, test hashes need not be). */
function mix(a: number, b: number): number {
  let h = Math.imul(a ^ Math.imul(b, 0x85ebca6b), 0x9e3779b1);
  h ^= h >>> 15;
  return Math.imul(h, 0x2c1b3c6d) ^ (h >>> 13);
}
