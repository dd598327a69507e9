/**
 * Fixed-window counter per unsubscribe link (its token id), in memory and bounded: a link whose holder hammers the
 * preference page gets 429 instead of filling the ledger. Windows are kept in the Map's insertion order, which is
 * the order they started, so the oldest are dropped first when the map is full (an evicted link only gets a fresh
 * window: memory stays bounded whatever the number of links). Per instance: several instances each allow `limit`.
 */
export class LinkRateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly limit = 10,
    private readonly windowMs = 60_000,
    private readonly maxTracked = 10_000,
  ) {}

  /** Counts one use of the link: undefined when allowed, else the seconds until it may try again. */
  take(linkId: string, now = Date.now()): number | undefined {
    let window = this.windows.get(linkId);
    if (window && now - window.start >= this.windowMs) {
      this.windows.delete(linkId);
      window = undefined;
    }
    if (!window) {
      this.makeRoom(now);
      window = { start: now, count: 0 };
      this.windows.set(linkId, window);
    }
    if (window.count >= this.limit) return Math.max(1, Math.ceil((window.start + this.windowMs - now) / 1000));
    window.count++;
    return undefined;
  }

  get size(): number {
    return this.windows.size;
  }

  private makeRoom(now: number): void {
    for (const [id, window] of this.windows) {
      if (this.windows.size < this.maxTracked && now - window.start < this.windowMs) return;
      this.windows.delete(id);
    }
  }
}
