import { ConsumerProgress } from './consumer-progress';

const ends = (entries: Record<string, number>) =>
  new Map(Object.entries(entries).map(([key, end]) => [key, BigInt(end)] as const));

/** A progress that has processed topic t up to offset 10 of partition 0, and knew that at `at`. */
function caughtUp(at: number): ConsumerProgress {
  const progress = new ConsumerProgress();
  progress.markProcessed('t', 0, '9');
  progress.observeEnds(at, ends({ 't:0': 10 }));
  return progress;
}

describe(ConsumerProgress.name, () => {
  it('advances asOf to a sample of the end offsets once processing has reached them', () => {
    const progress = new ConsumerProgress();
    progress.observeEnds(1000, ends({ 't:0': 10 }));
    expect(progress.asOf).toBe(0);
    progress.markProcessed('t', 0, '9');
    expect(progress.asOf).toBe(1000);
    expect(progress.lag()).toBe(0);
  });

  describe('confirmSince (issue 20: a check refused although nothing was stale)', () => {
    it('asks for a sample at once and resolves with its time when nothing is unprocessed', async () => {
      // The watermark stopped at 1000 (no sample could run: a busy event loop, a slow broker); nothing was published.
      const progress = caughtUp(1000);
      const sampler = jest.fn(() => {
        progress.observeEnds(5000, ends({ 't:0': 10 }));
        return Promise.resolve();
      });
      progress.setSampler(sampler);
      await expect(progress.confirmSince(4000, 60_000)).resolves.toBe(5000);
      expect(sampler).toHaveBeenCalledTimes(1);
    });

    it('stays where it was when the sample shows events not processed yet: the list really is behind', async () => {
      const progress = caughtUp(1000);
      progress.setSampler(() => {
        progress.observeEnds(5000, ends({ 't:0': 11 }));
        return Promise.resolve();
      });
      await expect(progress.confirmSince(4000, 20)).resolves.toBe(1000);
      // Once the consumer processes the event, the same sample confirms the state.
      progress.markProcessed('t', 0, '10');
      expect(progress.asOf).toBe(5000);
    });

    it('stays where it was when the broker cannot be asked', async () => {
      const progress = caughtUp(1000);
      progress.setSampler(() => Promise.reject(new Error('broker unreachable')));
      await expect(progress.confirmSince(4000, 20)).resolves.toBe(1000);
    });

    it('resolves at once when asOf already covers the time asked for', async () => {
      const progress = caughtUp(5000);
      const sampler = jest.fn(() => Promise.resolve());
      progress.setSampler(sampler);
      await expect(progress.confirmSince(4000, 60_000)).resolves.toBe(5000);
      expect(sampler).not.toHaveBeenCalled();
    });
  });
});
