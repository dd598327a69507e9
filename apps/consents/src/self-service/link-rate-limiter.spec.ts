import { LinkRateLimiter } from './link-rate-limiter';

describe(LinkRateLimiter.name, () => {
  const T0 = 1_700_000_000_000;

  it('allows `limit` uses of a link per window, then says how long to wait', () => {
    const limiter = new LinkRateLimiter(3, 60_000);
    expect([0, 1, 2].map((i) => limiter.take('a', T0 + i))).toEqual([undefined, undefined, undefined]);
    expect(limiter.take('a', T0 + 10_000)).toBe(50);
    expect(limiter.take('b', T0 + 10_000)).toBeUndefined();
    expect(limiter.take('a', T0 + 59_999)).toBe(1);
    expect(limiter.take('a', T0 + 60_000)).toBeUndefined();
  });

  it('stays bounded: expired windows go first, then the oldest', () => {
    const limiter = new LinkRateLimiter(1, 60_000, 3);
    limiter.take('a', T0);
    limiter.take('b', T0 + 1);
    limiter.take('c', T0 + 2);
    limiter.take('d', T0 + 3);
    expect(limiter.size).toBe(3);
    // 'a' was the oldest and was dropped: it starts a fresh window.
    expect(limiter.take('a', T0 + 4)).toBeUndefined();
    expect(limiter.take('d', T0 + 5)).toBe(60);
    limiter.take('e', T0 + 120_000);
    expect(limiter.size).toBe(1);
  });
});
