import { applyChunk, encodeState } from './snapshot-codec';
import { SuppressionState } from './suppression-state';

const hex = (i: number) => i.toString(16).padStart(64, '0');

/** Every kind of fact, with the values a binary form could get wrong: text that is not a hash, fractions, unicode. */
function varied(): SuppressionState {
  const state = new SuppressionState();
  state.applyCustomer({
    customerId: 'asiakas-ä-1',
    sequence: 3,
    kind: 'organization',
    since: 1_700_000_000_123,
    restrictedSince: 1_700_000_000_500,
    activeContract: false,
    relationshipEndedAt: 1_700_000_001_000,
    mobileSubscription: true,
    contactPoints: [
      { kind: 'email', hash: hex(1), owner: 'own', from: 0 },
      { kind: 'phone', hash: 'NOT-A-HASH', owner: 'contact-person', person: 'henkilö-7', from: 1.5 },
    ],
    formerContactPoints: [{ kind: 'email', hash: hex(2), owner: 'own', from: -5, until: 2 ** 53 + 2 }],
  });
  state.applyCustomer({
    customerId: 'dvv',
    sequence: 2,
    kind: 'person',
    since: 5,
    activeContract: true,
    mobileSubscription: false,
    populationRegisterBan: true,
    contactPoints: [{ kind: 'post', hash: hex(13), owner: 'own', from: 5 }],
    formerContactPoints: [],
  });
  state.applyCustomer({
    customerId: 'erased',
    sequence: 1,
    kind: 'person',
    since: 1,
    erasedAt: 9,
    activeContract: true,
    mobileSubscription: false,
    contactPoints: [{ kind: 'email', hash: hex(3), owner: 'own', from: 1 }],
    formerContactPoints: [],
  });
  const entry = { channel: 'all', purpose: 'all', decision: 'prohibit', at: 1_700_000_000_000 } as const;
  state.applyLedgerEntry({ ...entry, subjectKey: `email:${hex(1)}`, sequence: 1 });
  state.applyLedgerEntry({ ...entry, subjectKey: `phone:${hex(1)}`, sequence: 2, expiresAt: 1_800_000_000_000 });
  state.applyLedgerEntry({ ...entry, subjectKey: 'customer:asiakas-ä-1', sequence: 4, decision: 'grant' });
  state.applyLedgerEntry({ ...entry, subjectKey: 'post:Mannerheimintie 1', sequence: 1 });
  state.applyLedgerEntry({ ...entry, subjectKey: `email:${hex(4).toUpperCase()}`, sequence: 1 });
  state.eraseLedger(`email:${hex(5)}`, 3);
  state.eraseLedger('customer:gone', 2);
  state.markErased(hex(6), 7);
  state.applyBan({ customerId: 'asiakas-ä-1', sequence: 2, fullSince: 1_700_000_000_000 });
  state.applyBan({ customerId: 'other', sequence: 1 });
  state.addStaffEntry({ id: 'e1', hash: hex(7), kind: 'phone', reason: 'robinson', channel: 'all', since: 1 });
  state.removeStaffEntry('e0', 2);
  const bytes = (...hashes: string[]) => Buffer.from(hashes.join(''), 'hex');
  state.applyRegisterChange('asml-phone', 1, '2026-11-01', bytes(hex(8), hex(9)), bytes());
  state.applyRegisterChange('asml-phone', 2, '2026-12-01', bytes(hex(10)), bytes(hex(9)), { inputSha256: hex(11) });
  // A snapshot whose last part is not in yet: rows, no date.
  state.applyRegisterChange('asml-post', 1, '2026-12-01', bytes(hex(12)), bytes());
  return state;
}

describe('snapshot codec (format 3)', () => {
  it('gives back an equal state from its chunks, whatever the chunk size', async () => {
    const source = varied();
    for (const perChunk of [1, 3, 1000]) {
      const loaded = new SuppressionState();
      let facts = 0;
      for (const chunk of await encodeState(source, perChunk)) facts += applyChunk(loaded, chunk.data);
      expect(facts).toBe([...source.exportFacts()].length);
      expect(loaded.digest()).toEqual(source.digest());
      expect([...loaded.exportFacts()]).toEqual([...source.exportFacts()]);
    }
  });

  it('refuses a chunk cut short instead of applying part of a fact', async () => {
    const [chunk] = await encodeState(varied(), 1000);
    expect(() => applyChunk(new SuppressionState(), chunk.data.subarray(0, chunk.data.length - 3))).toThrow(
      /snapshot: chunk ends inside/,
    );
  });
});
