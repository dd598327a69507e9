import type { SubjectFacts } from '../engine';
import { computeFeedValue, feedValue, mayBeExplicitlySuppressed } from './partner-feed';

const T0 = Date.UTC(2025, 0, 1);
const iso = (ms: number) => new Date(ms).toISOString();
const facts = (overrides: Partial<SubjectFacts> = {}): SubjectFacts => ({
  subject: 'identifier',
  ledger: [],
  suppressionEntries: [],
  ...overrides,
});
const customer = { subject: 'person', activeContract: true } as const;

describe(feedValue.name, () => {
  it('is null (a tombstone) when only permissions are missing: no-consent and consent-expired are not opt-outs', () => {
    expect(feedValue('email', facts())).toBeNull();
    const expired = facts({
      ledger: [{ channel: 'all', purpose: 'all', decision: 'grant', at: T0, sequence: 1, expiresAt: T0 + 1 }],
    });
    expect(feedValue('email', expired)).toBeNull();
  });

  it('writes a suppression that holds everywhere once, as all/all, and never names the right used (R11)', () => {
    expect(feedValue('phone', facts({ erasedSince: T0 }))).toEqual({
      specversion: '1.0',
      type: 'fi.kielto.suppression.current.v1',
      kind: 'phone',
      suppressions: [{ code: 'opt-out', channel: 'all', purpose: 'all', since: iso(T0) }],
      updatedAt: iso(T0),
    });
  });

  it('groups per channel when every purpose is covered, and lists single pairs otherwise', () => {
    const value = feedValue(
      'email',
      facts({
        ...customer,
        ledger: [
          { channel: 'email', purpose: 'all', decision: 'withdraw', at: T0, sequence: 1 },
          { channel: 'post', purpose: 'profiling', decision: 'prohibit', at: T0 + 5, sequence: 2 },
        ],
        suppressionEntries: [{ reason: 'bounce', channel: 'email', since: T0 + 9 }],
      }),
    );
    expect(value?.suppressions).toEqual([
      { code: 'consent-withdrawn', channel: 'email', purpose: 'all', since: iso(T0) },
      { code: 'prohibited', channel: 'post', purpose: 'profiling', since: iso(T0 + 5) },
      { code: 'bounce', channel: 'email', purpose: 'all', since: iso(T0 + 9) },
    ]);
    expect(value?.updatedAt).toBe(iso(T0 + 9));
  });

  it('honours the Robinson exception for own marketing to a customer', () => {
    const value = feedValue(
      'phone',
      facts({ ...customer, suppressionEntries: [{ reason: 'robinson', channel: 'all', since: T0 }] }),
    );
    const pairs = value?.suppressions.map((s) => `${s.channel}/${s.purpose}`);
    expect(pairs).toEqual([
      'phone/market-research',
      'phone/partner-marketing',
      'phone/profiling',
      'post/market-research',
      'post/partner-marketing',
      'post/profiling',
    ]);
  });

  it('is the same bytes whenever it is computed (no clock in the value)', () => {
    const subject = facts({ ...customer, restrictedSince: T0 });
    expect(JSON.stringify(feedValue('email', subject))).toBe(JSON.stringify(feedValue('email', subject)));
  });

  it('skips the sixteen decisions only where none of them could give a feed code', () => {
    const decisions = ['grant', 'withdraw', 'prohibit', 'lift-prohibition'] as const;
    const channels = ['all', 'email', 'phone'] as const;
    const purposes = ['all', 'own-marketing', 'partner-marketing'] as const;
    const ledgers: SubjectFacts['ledger'][] = [[]];
    for (const decision of decisions)
      for (const channel of channels)
        for (const purpose of purposes) {
          ledgers.push([{ channel, purpose, decision, at: T0, sequence: 1 }]);
          ledgers.push([
            { channel: 'all', purpose: 'all', decision: 'grant', at: T0, sequence: 1, expiresAt: T0 + 1 },
            { channel, purpose, decision, at: T0 + 2, sequence: 2 },
          ]);
        }
    const customers: Partial<SubjectFacts>[] = [
      {},
      customer,
      { ...customer, subject: 'organization' },
      { ...customer, subject: 'contact-person' },
      { ...customer, restrictedSince: T0 },
      { ...customer, also: [{ ...customer, restrictedSince: T0, ledger: [], suppressionEntries: [] }] },
    ];
    const others: Partial<SubjectFacts>[] = [
      {},
      { erasedSince: T0 },
      { fullDirectoryBanSince: T0 },
      { suppressionEntries: [{ reason: 'bounce', channel: 'email', since: T0 }] },
    ];
    let skipped = 0;
    for (const ledger of ledgers)
      for (const c of customers)
        for (const other of others) {
          const f = facts({ ledger, ...c, ...other });
          for (const kind of ['email', 'phone'] as const) {
            expect(feedValue(kind, f)).toEqual(computeFeedValue(kind, f));
            if (!mayBeExplicitlySuppressed(f)) {
              skipped++;
              expect(computeFeedValue(kind, f)).toBeNull();
            }
          }
        }
    expect(skipped).toBeGreaterThan(20);
  });
});
