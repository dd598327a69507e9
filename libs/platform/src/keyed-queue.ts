/**
 * Runs tasks one at a time per key, in arrival order, within this process. Appends to one subject's ledger
 * would otherwise race for the same sequence and retry (the unique index keeps them correct, but a burst of N
 * concurrent writers costs O(N²) round trips). Across processes the index still decides; this only removes
 * the contention inside one.
 */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Keys with work queued or running (for tests). */
  get size(): number {
    return this.tails.size;
  }
}
