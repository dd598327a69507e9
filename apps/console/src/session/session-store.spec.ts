import { csrfMatches, SessionStore } from './session-store';

describe(SessionStore.name, () => {
  const user = {
    credential: 'k',
    via: 'api-key' as const,
    actorId: 'staff-1',
    role: 'staff' as const,
    roles: ['staff' as const],
  };

  it('ends a signed-in session idle for longer than the timeout, and says why', () => {
    let now = 0;
    const store = new SessionStore(15 * 60_000, 100, () => now);
    const session = store.create('fi');
    session.user = user;
    now += 14 * 60_000;
    expect(store.touch(session.id).session).toBe(session);
    now += 15 * 60_000 + 1;
    expect(store.touch(session.id)).toEqual({ ended: 'idle' });
    expect(store.touch(session.id)).toEqual({});
  });

  it('ends a session when its sign-in token expires', () => {
    let now = 0;
    const store = new SessionStore(60_000, 100, () => now);
    const session = store.create('en');
    session.user = { ...user, expiresAt: 30_000 };
    now = 30_000;
    expect(store.touch(session.id)).toEqual({ ended: 'expired' });
  });

  it('gives a new id and CSRF token on sign-in (no fixation) and drops the least recently used beyond the cap', () => {
    const store = new SessionStore(60_000, 10);
    const first = store.create('sv');
    const rotated = store.rotate(first);
    expect(rotated.id).not.toBe(first.id);
    expect(rotated.csrf).not.toBe(first.csrf);
    expect(store.touch(first.id)).toEqual({});
    for (let i = 0; i < 12; i++) store.create('fi');
    expect(store.size).toBe(10);
    expect(store.touch(rotated.id)).toEqual({});
  });

  it('compares CSRF tokens exactly', () => {
    const session = new SessionStore(1, 10).create('fi');
    expect(csrfMatches(session, session.csrf)).toBe(true);
    expect(csrfMatches(session, `${session.csrf}x`)).toBe(false);
    expect(csrfMatches(session, undefined)).toBe(false);
  });
});
