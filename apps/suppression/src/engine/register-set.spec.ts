import { decide } from './decision-engine';
import { RegisterSet } from './register-set';
import { SuppressionState } from './suppression-state';

const hex = (i: number) => i.toString(16).padStart(64, '0');
const bytes = (...hashes: string[]) => Buffer.from(hashes.join(''), 'hex');
const DAY = (date: string) => Date.parse(`${date}T00:00:00Z`);

describe(RegisterSet.name, () => {
  it('holds exactly the rows its changes leave, each with the day it was first seen', () => {
    const set = new RegisterSet();
    expect(set.apply(1, '2026-11-01', bytes(hex(1), hex(2)), bytes())).toBe(true);
    expect(set.head).toEqual({ sequence: 1 });
    expect(set.apply(2, '2026-12-01', bytes(hex(2), hex(3)), bytes(hex(1)), { inputSha256: 'x' })).toBe(true);
    expect(set.head).toEqual({ sequence: 2, date: DAY('2026-12-01'), inputSha256: 'x' });
    expect(set.size).toBe(2);
    expect(set.find(hex(1))).toBe(-1);
    expect(set.since(set.find(hex(2)))).toBe(DAY('2026-11-01'));
    expect(set.since(set.find(hex(3)))).toBe(DAY('2026-12-01'));
    // A redelivered or replayed change is not applied again.
    expect(set.apply(2, '2026-12-02', bytes(), bytes(hex(2)))).toBe(false);
    expect(set.size).toBe(2);
    expect([...set.rows()].map((row) => set.hash(row)).sort()).toEqual([hex(2), hex(3)]);
  });

  it('keeps every row and its day beyond the first page (70 000 rows)', () => {
    const set = new RegisterSet();
    // Row i's hash starts with i (the table spreads hashes by their first bytes, as keyed hashes are uniform).
    const row = (i: number) => i.toString(16).padStart(8, '0') + '0'.repeat(56);
    const range = (from: number, to: number) => {
      const out = Buffer.alloc(32 * (to - from));
      for (let i = from; i < to; i++) out.writeUInt32BE(i, 32 * (i - from));
      return out;
    };
    set.apply(1, '2026-11-01', range(10, 40_010), bytes());
    set.apply(2, '2026-12-01', range(40_010, 70_010), bytes(row(10), row(40_000)));
    expect(set.size).toBe(69_998);
    expect(set.find(row(10))).toBe(-1);
    expect(set.find(row(40_000))).toBe(-1);
    expect(set.since(set.find(row(40_009)))).toBe(DAY('2026-11-01'));
    expect(set.since(set.find(row(70_009)))).toBe(DAY('2026-12-01'));
    const held = [...set.rows()];
    expect(held).toHaveLength(69_998);
    expect(new Set(held.map((at) => set.hash(at))).size).toBe(69_998);
    expect(held.every((at) => at < set.capacity)).toBe(true);
  });
});

describe('a register row in a decision', () => {
  const state = new SuppressionState();
  state.applyRegisterChange('asml-phone', 1, '2026-11-01', bytes(hex(1)), bytes(), { inputSha256: hex(9) });
  state.applyCustomer({
    customerId: 'c1',
    sequence: 1,
    kind: 'person',
    since: 0,
    activeContract: true,
    mobileSubscription: false,
    contactPoints: [{ kind: 'phone', hash: hex(1), owner: 'own', from: 0 }],
    formerContactPoints: [],
  });
  const now = DAY('2026-12-07');

  it('is a robinson reason naming the register and its date, for the phone channel only', () => {
    const facts = state.factsForIdentifier('phone', hex(1));
    expect(decide(facts, { channel: 'phone', purpose: 'partner-marketing' }, now).reasons).toEqual([
      expect.objectContaining({
        code: 'robinson',
        rule: 'R4',
        since: '2026-11-01T00:00:00.000Z',
        register: 'asml-phone',
        registerDate: '2026-11-01',
      }),
    ]);
    expect(decide(facts, { channel: 'post', purpose: 'partner-marketing' }, now).decision).toBe('allow');
    // Own marketing to the active customer holding the number is spared (R2's test, R4).
    expect(decide(facts, { channel: 'phone', purpose: 'own-marketing' }, now).decision).toBe('allow');
    // The same row reaches a check by customer id, and a check by the number's words.
    const byCustomer = state.factsForCustomer('c1')!;
    expect(decide(byCustomer, { channel: 'phone', purpose: 'market-research' }, now).reasons[0].code).toBe('robinson');
    const words = new Int32Array(8);
    words[7] = 1;
    expect(state.factsForIdentifierWords('phone', words).suppressionEntries).toHaveLength(1);
    // E-mail identifiers are never looked up in the phone register.
    expect(state.factsForIdentifier('email', hex(1)).suppressionEntries).toHaveLength(0);
  });
});
