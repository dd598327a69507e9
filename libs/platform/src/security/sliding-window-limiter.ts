interface Slot {
  /** Start of the current window (ms). */
  start: number;
  current: number;
  previous: number;
}

/**
 * Sliding-window counters per key with a fixed memory bound: the count over the last window is estimated as the
 * current window's count plus the previous window's, weighted by how much of it still overlaps (the usual
 * "sliding window counter"). No timers and no per-hit allocation: a key costs one small object when first seen.
 *
 * At most `maxKeys` keys are tracked. A key whose window rolls over is moved to the back of the Map, so the front
 * holds the keys idle longest, and those are evicted first when a new key arrives at a full map (an evicted key
 * starts again from zero: memory stays bounded whatever the number of clients, at the price of forgetting the
 * least recent ones first).
 */
export class SlidingWindowLimiter {
  private readonly slots = new Map<string, Slot>();

  constructor(
    readonly windowMs = 60_000,
    readonly maxKeys = 100_000,
  ) {
    if (!(windowMs > 0) || !(maxKeys > 0)) throw new Error('windowMs and maxKeys must be positive');
  }

  get size(): number {
    return this.slots.size;
  }

  /** Counts one hit of `key` against `limit` per window: 0 when admitted, else the seconds to wait (not counted). */
  hit(key: string, limit: number, now = Date.now()): number {
    const slot = this.slot(key, now);
    const wait = this.waitFor(slot, limit, now);
    if (wait === 0) slot.current++;
    return wait;
  }

  /** Counts one hit without a verdict (failures are counted whatever the outcome). */
  count(key: string, now = Date.now()): void {
    this.slot(key, now).current++;
  }

  /** Whether `key` has used up `limit`, without counting: 0 when not, else the seconds to wait. */
  exceeded(key: string, limit: number, now = Date.now()): number {
    const slot = this.slots.get(key);
    if (slot === undefined) return 0;
    this.roll(key, slot, now);
    return this.waitFor(slot, limit, now);
  }

  private waitFor(slot: Slot, limit: number, now: number): number {
    const elapsed = now - slot.start;
    const estimate = slot.previous * ((this.windowMs - elapsed) / this.windowMs) + slot.current;
    if (estimate + 1 <= limit) return 0;
    return Math.max(1, Math.ceil((this.windowMs - elapsed) / 1000));
  }

  private slot(key: string, now: number): Slot {
    let slot = this.slots.get(key);
    if (slot === undefined) {
      if (this.slots.size >= this.maxKeys) this.evictOldest();
      slot = { start: now, current: 0, previous: 0 };
      this.slots.set(key, slot);
    } else {
      this.roll(key, slot, now);
    }
    return slot;
  }

  private roll(key: string, slot: Slot, now: number): void {
    const elapsed = now - slot.start;
    if (elapsed < this.windowMs) return;
    if (elapsed < 2 * this.windowMs) {
      slot.previous = slot.current;
      slot.start += this.windowMs;
    } else {
      slot.previous = 0;
      slot.start = now;
    }
    slot.current = 0;
    // Recently active keys move to the back, so eviction takes the idle ones first.
    this.slots.delete(key);
    this.slots.set(key, slot);
  }

  private evictOldest(): void {
    for (const key of this.slots.keys()) {
      this.slots.delete(key);
      return;
    }
  }
}
