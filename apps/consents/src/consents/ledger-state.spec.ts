import { CHANNELS, PURPOSES } from '@kielto/contracts';
import { compareEntries, deriveCurrent, deriveOne, LedgerDecisionView } from './ledger-state';

const T0 = Date.parse('2025-03-01T10:00:00.000Z');
let sequence = 0;

/** A ledger entry recorded `minutes` after T0; sequences increase in creation order. */
function entry(minutes: number, overrides: Partial<LedgerDecisionView> = {}): LedgerDecisionView {
  return {
    channel: 'email',
    purpose: 'own-marketing',
    decision: 'grant',
    at: T0 + minutes * 60_000,
    sequence: ++sequence,
    ...overrides,
  };
}

const iso = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
const NOW = T0 + 24 * 3_600_000;

describe(deriveCurrent.name, () => {
  it('has one row per concrete channel × purpose, all "none" for an empty ledger', () => {
    const rows = deriveCurrent([], NOW);
    expect(rows).toHaveLength(CHANNELS.length * PURPOSES.length);
    expect(rows.every((r) => r.consent === 'none' && !r.prohibited && r.since === null)).toBe(true);
  });

  it('grants only what an entry covers; wildcards cover every value', () => {
    const rows = deriveCurrent([entry(1, { channel: 'all', purpose: 'profiling' })], NOW);
    const granted = rows.filter((r) => r.consent === 'granted');
    expect(granted.map((r) => `${r.channel}/${r.purpose}`).sort()).toEqual(
      CHANNELS.map((c) => `${c}/profiling`).sort(),
    );
  });
});

describe(deriveOne.name, () => {
  it('lets the latest grant/withdraw decide', () => {
    expect(deriveOne([entry(1), entry(2, { decision: 'withdraw' })], 'email', 'own-marketing', NOW)).toMatchObject({
      consent: 'withdrawn',
      since: iso(2),
    });
    expect(deriveOne([entry(1, { decision: 'withdraw' }), entry(2)], 'email', 'own-marketing', NOW).consent).toBe(
      'granted',
    );
  });

  it('orders by recorded time before sequence (entries of different subjects interleave)', () => {
    const later = entry(5, { decision: 'withdraw', sequence: 1 });
    const earlier = entry(3, { sequence: 9 });
    expect(deriveOne([later, earlier], 'email', 'own-marketing', NOW).consent).toBe('withdrawn');
  });

  it('breaks a tie of time and sequence towards the restrictive decision', () => {
    const grant = entry(1, { sequence: 1 });
    const withdraw = entry(1, { decision: 'withdraw', sequence: 1 });
    expect(deriveOne([withdraw, grant], 'email', 'own-marketing', NOW).consent).toBe('withdrawn');
    expect(deriveOne([grant, withdraw], 'email', 'own-marketing', NOW).consent).toBe('withdrawn');
  });

  it('lets "withdraw everything" beat an older specific grant, and a newer specific grant beat it', () => {
    const specificGrant = entry(1);
    const blanketWithdraw = entry(2, { channel: 'all', purpose: 'all', decision: 'withdraw' });
    expect(deriveOne([specificGrant, blanketWithdraw], 'email', 'own-marketing', NOW).consent).toBe('withdrawn');
    expect(deriveOne([specificGrant, blanketWithdraw, entry(3)], 'email', 'own-marketing', NOW).consent).toBe(
      'granted',
    );
    expect(deriveOne([specificGrant, blanketWithdraw, entry(3)], 'sms', 'own-marketing', NOW).consent).toBe(
      'withdrawn',
    );
  });

  it('ignores entries that do not cover the row', () => {
    const rows = [entry(1, { channel: 'sms' }), entry(2, { purpose: 'profiling', decision: 'prohibit' })];
    expect(deriveOne(rows, 'email', 'own-marketing', NOW)).toMatchObject({
      consent: 'none',
      prohibited: false,
      since: null,
    });
  });

  it('expires a grant at its expiry without any write, and says when', () => {
    const grant = entry(1, { channel: 'all', purpose: 'all', expiresAt: T0 + 10 * 60_000 });
    expect(deriveOne([grant], 'sms', 'profiling', T0 + 9 * 60_000)).toMatchObject({
      consent: 'granted',
      since: iso(1),
      expiresAt: iso(10),
    });
    expect(deriveOne([grant], 'sms', 'profiling', T0 + 10 * 60_000)).toMatchObject({
      consent: 'expired',
      since: iso(10),
      expiresAt: iso(10),
    });
  });

  it('treats a newer withdrawal as the state even after an older grant would have expired', () => {
    const grant = entry(1, { expiresAt: T0 + 2 * 60_000 });
    const row = deriveOne([grant, entry(5, { decision: 'withdraw' })], 'email', 'own-marketing', NOW);
    expect(row).toMatchObject({ consent: 'withdrawn', since: iso(5) });
    expect(row.expiresAt).toBeUndefined();
  });

  it('keeps prohibition separate: it overrides nothing in consent, and the latest prohibit/lift decides', () => {
    const grant = entry(1);
    const prohibit = entry(2, { channel: 'all', purpose: 'all', decision: 'prohibit' });
    expect(deriveOne([grant, prohibit], 'email', 'own-marketing', NOW)).toMatchObject({
      consent: 'granted',
      prohibited: true,
      since: iso(2),
    });
    const lift = entry(3, { channel: 'all', purpose: 'all', decision: 'lift-prohibition' });
    expect(deriveOne([grant, prohibit, lift], 'email', 'own-marketing', NOW)).toMatchObject({
      consent: 'granted',
      prohibited: false,
      since: iso(3),
    });
  });

  it('does not let a grant lift a prohibition, nor a lift restore a withdrawn consent', () => {
    const rows = [
      entry(1, { decision: 'prohibit' }),
      entry(2),
      entry(3, { decision: 'withdraw' }),
      entry(4, { decision: 'lift-prohibition' }),
    ];
    expect(deriveOne(rows.slice(0, 2), 'email', 'own-marketing', NOW).prohibited).toBe(true);
    expect(deriveOne(rows, 'email', 'own-marketing', NOW)).toMatchObject({ consent: 'withdrawn', prohibited: false });
  });
});

describe(compareEntries.name, () => {
  it('sorts by time, then sequence', () => {
    const list = [entry(2, { sequence: 1 }), entry(1, { sequence: 7 }), entry(1, { sequence: 3 })];
    expect([...list].sort(compareEntries).map((e) => e.sequence)).toEqual([3, 7, 1]);
  });
});
