import { CloudEventV1, DIRECTORY_BAN_EVENT_TYPES, DirectoryBanLiftedV1, DirectoryBanSetV1 } from '@kielto/contracts';
import { foldBanHistory, sameBan } from './ban-history';

const CUSTOMER = '7d3f6a8e-4a52-4a8f-9d0b-2f1c3e5a7b90';
const T0 = Date.UTC(2025, 0, 1);
const iso = (ms: number) => new Date(ms).toISOString();

function envelope<T>(type: string, sequence: number, data: T): CloudEventV1 {
  return {
    specversion: '1.0',
    id: `event-${sequence}`,
    source: '/kielto/directory-bans',
    type,
    subject: CUSTOMER,
    time: iso(T0 + sequence * 1000),
    datacontenttype: 'application/json',
    sequence,
    data,
  };
}

function setEvent(sequence: number, overrides: Partial<DirectoryBanSetV1> = {}): CloudEventV1 {
  return envelope<DirectoryBanSetV1>(DIRECTORY_BAN_EVENT_TYPES.set, sequence, {
    customerId: CUSTOMER,
    scope: 'full',
    hiddenFields: [],
    outlets: [],
    since: iso(T0 + sequence * 1000),
    setBy: 'staff-0123456789ab',
    ...overrides,
  });
}

function liftedEvent(sequence: number, overrides: Partial<DirectoryBanLiftedV1> = {}): CloudEventV1 {
  return envelope<DirectoryBanLiftedV1>(DIRECTORY_BAN_EVENT_TYPES.lifted, sequence, {
    customerId: CUSTOMER,
    liftedAt: iso(T0 + sequence * 1000),
    liftedBy: 'admin-ba9876543210',
    ...overrides,
  });
}

describe(foldBanHistory.name, () => {
  it('has no ban and no history for a customer without events', () => {
    expect(foldBanHistory([])).toEqual({ current: undefined, history: [], lastSequence: 0 });
  });

  it('takes the newest set as the ban in force and keeps every change with who made it', () => {
    const folded = foldBanHistory([
      setEvent(1, { reason: 'asked by phone' }),
      setEvent(2, { scope: 'partial', hiddenFields: ['address'], outlets: ['online'] }),
    ]);
    expect(folded.current).toEqual({
      customerId: CUSTOMER,
      scope: 'partial',
      hiddenFields: ['address'],
      outlets: ['online'],
      setBy: 'staff-0123456789ab',
      since: iso(T0 + 2000),
      sequence: 2,
    });
    expect(folded.history).toEqual([
      {
        sequence: 1,
        change: 'set',
        at: iso(T0 + 1000),
        by: 'staff-0123456789ab',
        reason: 'asked by phone',
        scope: 'full',
        hiddenFields: [],
        outlets: [],
      },
      {
        sequence: 2,
        change: 'set',
        at: iso(T0 + 2000),
        by: 'staff-0123456789ab',
        scope: 'partial',
        hiddenFields: ['address'],
        outlets: ['online'],
      },
    ]);
    expect(folded.lastSequence).toBe(2);
  });

  it('has no ban in force after a lift, but keeps the lift in the history', () => {
    const folded = foldBanHistory([setEvent(1), liftedEvent(2, { reason: 'customer moved abroad' })]);
    expect(folded.current).toBeUndefined();
    expect(folded.history[1]).toEqual({
      sequence: 2,
      change: 'lifted',
      at: iso(T0 + 2000),
      by: 'admin-ba9876543210',
      reason: 'customer moved abroad',
    });
    expect(folded.lastSequence).toBe(2);
  });
});

describe(sameBan.name, () => {
  const base = { scope: 'partial' as const, hiddenFields: ['address' as const, 'phone' as const], outlets: [] };

  it('ignores the order of fields and outlets', () => {
    expect(sameBan(base, { ...base, hiddenFields: ['phone', 'address'] })).toBe(true);
  });

  it('tells apart scope, fields, outlets and reason', () => {
    expect(sameBan(base, { ...base, scope: 'full' })).toBe(false);
    expect(sameBan(base, { ...base, hiddenFields: ['address'] })).toBe(false);
    expect(sameBan(base, { ...base, outlets: ['printed'] })).toBe(false);
    expect(sameBan(base, { ...base, reason: 'new reason' })).toBe(false);
  });
});
