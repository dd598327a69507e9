import { Injectable } from '@nestjs/common';

/**
 * What a consumer has fully processed, per topic-partition, and since when the service's state includes
 * everything that was in the topics. That time, `asOf`, is what suppression answers are based on: a
 * watermark poller samples the topics' end offsets at time t, and once processing reaches them the state
 * is complete as of t.
 */
@Injectable()
export class ConsumerProgress {
  private readonly processed = new Map<string, bigint>(); // "topic:partition" → next offset to process
  private readonly pending: { at: number; ends: Map<string, bigint> }[] = [];
  private caughtUpAt = 0;
  /** Samples the end offsets now (set by the transport that polls them). */
  private sampler?: () => Promise<void>;
  /** Callers of `confirmSince`, each waiting for `asOf` to reach its `since`. */
  private readonly confirmations = new Set<{ since: number; done: () => void }>();

  markProcessed(topic: string, partition: number, lastOffset: string): void {
    const key = `${topic}:${partition}`;
    const next = BigInt(lastOffset) + 1n;
    if ((this.processed.get(key) ?? -1n) < next) this.processed.set(key, next);
    this.advance();
  }

  /** The next offset to process of every topic-partition processed so far. */
  positions(): { topic: string; partition: number; next: string }[] {
    return [...this.processed].map(([key, next]) => {
      const colon = key.lastIndexOf(':');
      return { topic: key.slice(0, colon), partition: Number(key.slice(colon + 1)), next: next.toString() };
    });
  }

  /** The next offset to process of one topic-partition, if any was processed. */
  nextOffset(topic: string, partition: number): bigint | undefined {
    return this.processed.get(`${topic}:${partition}`);
  }

  /** Called by the poller with the end offsets (high watermarks) seen at `at`. */
  observeEnds(at: number, ends: Map<string, bigint>): void {
    this.pending.push({ at, ends });
    if (this.pending.length > 64) this.pending.shift();
    this.advance();
  }

  /** The transport's way to sample the end offsets at once, outside its regular interval. */
  setSampler(sampler: () => Promise<void>): void {
    this.sampler = sampler;
  }

  /**
   * Resolves with `asOf` once it has reached `since`, or with whatever it is after `timeoutMs`. Asks for a sample of
   * the end offsets at once instead of waiting for the next tick, so that a watermark left behind by a busy event
   * loop or a slow sample is confirmed (or not) by Kafka itself: everything published before the sample is
   * processed, or it is not. A state that is really behind stays behind, whatever is asked.
   */
  confirmSince(since: number, timeoutMs: number): Promise<number> {
    if (this.caughtUpAt >= since) return Promise.resolve(this.caughtUpAt);
    return new Promise<number>((resolve) => {
      const confirmation = {
        since,
        done: () => {
          clearTimeout(timer);
          this.confirmations.delete(confirmation);
          resolve(this.caughtUpAt);
        },
      };
      const timer = setTimeout(confirmation.done, timeoutMs);
      this.confirmations.add(confirmation);
      this.sampler?.().catch(() => undefined);
    });
  }

  /** Epoch ms up to which the state is known complete; 0 = never caught up yet. */
  get asOf(): number {
    return this.caughtUpAt;
  }

  lag(): number {
    const latest = this.pending.at(-1);
    if (!latest) return 0;
    let lag = 0n;
    for (const [key, end] of latest.ends) {
      const done = this.processed.get(key) ?? 0n;
      if (end > done) lag += end - done;
    }
    return Number(lag);
  }

  private advance(): void {
    while (this.pending.length > 0 && this.covers(this.pending[0].ends)) {
      this.caughtUpAt = Math.max(this.caughtUpAt, this.pending.shift()!.at);
    }
    for (const confirmation of [...this.confirmations]) {
      if (this.caughtUpAt >= confirmation.since) confirmation.done();
    }
  }

  private covers(ends: Map<string, bigint>): boolean {
    for (const [key, end] of ends) {
      // An empty partition (end 0) needs nothing; otherwise we must have processed up to its end.
      if (end > 0n && (this.processed.get(key) ?? 0n) < end) return false;
    }
    return true;
  }
}
