import { SlidingWindowLimiter } from './sliding-window-limiter';

describe(SlidingWindowLimiter.name, () => {
  const t0 = 1_000_000;

  it('admits up to the limit in a window, then answers the seconds to wait without counting the refusal', () => {
    const limiter = new SlidingWindowLimiter(60_000, 10);
    for (let i = 0; i < 5; i++) expect(limiter.hit('k', 5, t0 + i)).toBe(0);
    expect(limiter.hit('k', 5, t0 + 10)).toBe(60);
    expect(limiter.hit('k', 5, t0 + 30_000)).toBe(30);
    expect(limiter.hit('other', 5, t0 + 30_000)).toBe(0);
  });

  it('slides: the previous window counts by how much of it still overlaps', () => {
    const limiter = new SlidingWindowLimiter(60_000, 10);
    for (let i = 0; i < 10; i++) limiter.hit('k', 10, t0);
    // A quarter into the next window, 75% of the previous 10 still count: 2 more fit (7.5 + 2 <= 10).
    const quarter = t0 + 60_000 + 15_000;
    expect(limiter.hit('k', 10, quarter)).toBe(0);
    expect(limiter.hit('k', 10, quarter)).toBe(0);
    expect(limiter.hit('k', 10, quarter)).toBeGreaterThan(0);
    // Two windows later everything is forgotten.
    expect(limiter.hit('k', 10, t0 + 180_000)).toBe(0);
  });

  it('keeps memory bounded: at most maxKeys keys, the longest idle evicted first', () => {
    const limiter = new SlidingWindowLimiter(60_000, 1000);
    limiter.hit('active', 1_000_000, t0);
    for (let i = 0; i < 999; i++) limiter.hit(`idle-${i}`, 10, t0);
    // 'active' rolls into a new window and moves to the back; 20 000 new keys then pass through.
    limiter.hit('active', 1_000_000, t0 + 60_000);
    for (let i = 0; i < 20_000; i++) limiter.hit(`client-${i}`, 10, t0 + 60_001);
    expect(limiter.size).toBe(1000);
    expect(limiter.exceeded('client-19999', 1, t0 + 60_001)).toBeGreaterThan(0);
    expect(limiter.exceeded('idle-0', 1, t0 + 60_001)).toBe(0);
  });

  it('counts failures and tells whether a key is over a limit without counting', () => {
    const limiter = new SlidingWindowLimiter(60_000, 10);
    expect(limiter.exceeded('ip', 2, t0)).toBe(0);
    limiter.count('ip', t0);
    expect(limiter.exceeded('ip', 2, t0)).toBe(0);
    limiter.count('ip', t0);
    expect(limiter.exceeded('ip', 2, t0)).toBeGreaterThan(0);
    expect(limiter.exceeded('ip', 2, t0)).toBeGreaterThan(0);
  });

  it('costs no timers: 40 000 hits in one window finish quickly and leave one key', () => {
    const limiter = new SlidingWindowLimiter(60_000, 10);
    const spy = jest.spyOn(global, 'setTimeout');
    for (let i = 0; i < 40_000; i++) limiter.hit('k', 1_000_000, t0 + i);
    expect(spy).not.toHaveBeenCalled();
    spy.mockRestore();
    expect(limiter.size).toBe(1);
  });
});
