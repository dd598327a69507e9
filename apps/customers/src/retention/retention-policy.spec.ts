import type { CommittedCustomer, CustomerRecord } from '../customers/customer-record';
import { DAY_MS, retentionCutoff, retentionVerdict } from './retention-policy';

const NOW = Date.parse('2027-03-01T12:00:00.000Z');
const ENDED = '2026-01-01T08:00:00.000Z';

const committed = (record: Partial<CustomerRecord>): CommittedCustomer => ({
  erased: false,
  version: 3,
  record: { activeContract: false, relationshipEndedAt: ENDED, ...record } as CustomerRecord,
});

describe('retentionVerdict', () => {
  const cutoff = retentionCutoff(NOW, 365);

  it('is due when the relationship ended before the cutoff and no hold is in force', () => {
    expect(cutoff).toBe(NOW - 365 * DAY_MS);
    expect(retentionVerdict(ENDED, committed({}), cutoff, NOW)).toBe('due');
    const expired = { since: ENDED, reason: 'dispute', by: 'staff-1', until: '2027-02-01T00:00:00.000Z' };
    expect(retentionVerdict(ENDED, committed({ legalHold: expired }), cutoff, NOW)).toBe('due');
  });

  it('keeps a customer under a legal hold in force, with or without an end', () => {
    const open = { since: ENDED, reason: 'dispute', by: 'staff-1' };
    expect(retentionVerdict(ENDED, committed({ legalHold: open }), cutoff, NOW)).toBe('held');
    const ahead = { ...open, until: '2027-04-01T00:00:00.000Z' };
    expect(retentionVerdict(ENDED, committed({ legalHold: ahead }), cutoff, NOW)).toBe('held');
  });

  it('calls a hint stale once it no longer describes the customer', () => {
    expect(retentionVerdict(ENDED, undefined, cutoff, NOW)).toBe('stale');
    expect(retentionVerdict(ENDED, { erased: true, version: 4, erasedAt: ENDED }, cutoff, NOW)).toBe('stale');
    expect(
      retentionVerdict(ENDED, committed({ activeContract: true, relationshipEndedAt: undefined }), cutoff, NOW),
    ).toBe('stale');
    expect(retentionVerdict(ENDED, committed({ relationshipEndedAt: '2027-02-20T00:00:00.000Z' }), cutoff, NOW)).toBe(
      'stale',
    );
  });

  it('is not yet due at or after the cutoff', () => {
    const recent = '2027-01-01T00:00:00.000Z';
    expect(retentionVerdict(recent, committed({ relationshipEndedAt: recent }), cutoff, NOW)).toBe('not-yet');
    const exact = new Date(cutoff).toISOString();
    expect(retentionVerdict(exact, committed({ relationshipEndedAt: exact }), cutoff, NOW)).toBe('not-yet');
  });
});
