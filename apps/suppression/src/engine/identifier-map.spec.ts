import { createHash } from 'node:crypto';
import { IdentifierMap, NONE } from './identifier-map';

const sha = (i: number) => createHash('sha256').update(String(i)).digest('hex');

describe(IdentifierMap.name, () => {
  it('gives each identifier one index, and its text back', () => {
    const map = new IdentifierMap();
    const hashes = Array.from({ length: 5000 }, (_, i) => sha(i));
    const indices = hashes.map((h) => map.intern(h));
    expect(new Set(indices).size).toBe(hashes.length);
    expect(map.size).toBe(hashes.length);
    hashes.forEach((h, i) => {
      expect(map.find(h)).toBe(indices[i]);
      expect(map.intern(h)).toBe(indices[i]);
      expect(map.text(indices[i])).toBe(h);
      expect(map.find(`email:${h}`, 'email:'.length)).toBe(indices[i]);
    });
    expect(map.find(sha(-1))).toBe(NONE);
  });

  it('holds any other string as it is: upper case, other lengths, not hex', () => {
    const map = new IdentifierMap();
    const lower = 'e'.repeat(64);
    const others = ['E'.repeat(64), 'e'.repeat(63), 'e'.repeat(65), 'g'.repeat(64), '', 'x-y', 'é'.repeat(64)];
    const lowerIndex = map.intern(lower);
    const indices = others.map((o) => map.intern(o));
    expect(new Set([lowerIndex, ...indices]).size).toBe(others.length + 1);
    others.forEach((o, i) => {
      expect(map.find(o)).toBe(indices[i]);
      expect(map.text(indices[i])).toBe(o);
      expect(map.find(`phone:${o}`, 6)).toBe(indices[i]);
    });
    expect(map.find('F'.repeat(64))).toBe(NONE);
    expect(map.text(lowerIndex)).toBe(lower);
  });

  it('forgets deleted identifiers, keeps finding the others, and reuses the indices', () => {
    const map = new IdentifierMap();
    const held = new Map<string, number>();
    let next = 0;
    // Deterministic mix of additions and deletions, enough to grow the table and run long probe sequences.
    for (let step = 0; step < 20_000; step++) {
      const r = (Math.imul(step, 2654435761) >>> 0) % 100;
      if (r < 60 || held.size === 0) {
        const h = r % 7 === 0 ? `other-${next++}` : sha(next++);
        held.set(h, map.intern(h));
      } else {
        const victim = [...held.keys()][r % held.size];
        map.delete(held.get(victim)!);
        held.delete(victim);
        expect(map.find(victim)).toBe(NONE);
      }
    }
    expect(map.size).toBe(held.size);
    for (const [h, index] of held) {
      expect(map.find(h)).toBe(index);
      expect(map.text(index)).toBe(h);
    }
    expect(map.capacity).toBeLessThan(next);
  });

  it('holds more identifiers than a page of its pool, across page boundaries, with words in and out', () => {
    const map = new IdentifierMap();
    const count = 3 * 32_768 + 100;
    const words = new Int32Array(8);
    let misplaced = 0;
    for (let i = 0; i < count; i++) {
      words[0] = i;
      words[1] = ~i;
      words[2] = i * 7;
      words[3] = 3;
      words[4] = i ^ 0x5bd1e995;
      words[5] = -i;
      words[6] = 0;
      words[7] = i;
      if (map.internWords(words) !== i) misplaced++;
    }
    expect(misplaced).toBe(0);
    // The capacity grows by half as before (columns sized by it are unchanged); pages only hold the words.
    expect(map.capacity).toBeGreaterThanOrEqual(count);
    const out = new Int32Array(8);
    for (const i of [0, 32_767, 32_768, 65_535, 65_536, count - 1]) {
      words.set([i, ~i, i * 7, 3, i ^ 0x5bd1e995, -i, 0, i]);
      expect(map.findWords(words)).toBe(i);
      map.wordsOf(i, out);
      expect([...out]).toEqual([...words]);
      expect(map.find(map.text(i))).toBe(i);
    }
    map.delete(32_768);
    words.set([32_768, ~32_768, 32_768 * 7, 3, 32_768 ^ 0x5bd1e995, -32_768, 0, 32_768]);
    expect(map.findWords(words)).toBe(NONE);
    expect(map.internWords(words)).toBe(32_768);
    expect(map.size).toBe(count);
  });
});
