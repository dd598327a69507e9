import { createHash } from 'node:crypto';
import type { ConsentSubjectV1 } from '@kielto/contracts';
import { decide } from './decision-engine';
import pinnedAnswers from './suppression-state.answers.json';
import { CustomerRecord, HeldPoint, StaffEntry, StoredLedgerEntry, SuppressionState } from './suppression-state';

const T0 = Date.UTC(2025, 0, 1);
const NOW = T0 + 100 * 86_400_000;
const hex = (c: string) => c.repeat(64);
const EMAIL_A = hex('a');
const EMAIL_B = hex('b');
const PHONE_C = hex('c');

const point = (kind: 'email' | 'phone', hash: string, owner: 'own' | 'contact-person' = 'own'): HeldPoint => ({
  kind,
  hash,
  owner,
  ...(owner === 'contact-person' ? { person: 'p1' } : {}),
  from: T0,
});

function customer(overrides: Partial<CustomerRecord> = {}): CustomerRecord {
  return {
    customerId: 'cust-1',
    sequence: 1,
    kind: 'person',
    since: T0,
    activeContract: true,
    mobileSubscription: false,
    contactPoints: [point('email', EMAIL_A)],
    formerContactPoints: [],
    ...overrides,
  };
}

function ledger(overrides: Partial<StoredLedgerEntry> = {}): StoredLedgerEntry {
  return {
    subjectKey: 'customer:cust-1',
    sequence: 1,
    channel: 'all',
    purpose: 'all',
    decision: 'grant',
    at: T0,
    ...overrides,
  };
}

function staff(overrides: Partial<StaffEntry> = {}): StaffEntry {
  return { id: 'entry-1', hash: EMAIL_A, kind: 'email', reason: 'bounce', channel: 'email', since: T0, ...overrides };
}

/**
 * A state with one of everything (shared and erased identifiers, floors, removals, unknown words, hashes that are
 * not lower-case hex): its digest is pinned, as other instances and older runs compare digests.
 */
function everything(): SuppressionState {
  const s = new SuppressionState();
  const PHONE_D = hex('d');
  const UPPER = 'E'.repeat(64);
  s.markErased(hex('9'), T0 + 50);
  s.eraseLedger(`email:${hex('8')}`, 4);
  s.removeStaffEntry('entry-gone', T0 + 9);
  s.applyCustomer(customer({ contactPoints: [point('email', EMAIL_A), point('phone', PHONE_C)] }));
  s.applyCustomer(
    customer({
      customerId: 'cust-2',
      sequence: 3,
      kind: 'organization',
      since: T0 + 1,
      restrictedSince: T0 + 2,
      contactPoints: [point('email', EMAIL_A), point('email', EMAIL_B, 'contact-person'), point('phone', UPPER)],
    }),
  );
  s.applyCustomer(
    customer({ customerId: 'cust-3', sequence: 2, erasedAt: T0 + 3, contactPoints: [point('phone', PHONE_D)] }),
  );
  s.applyCustomer({
    customerId: 'cust-4',
    sequence: 1,
    kind: 'robot' as never,
    since: T0,
    activeContract: false,
    relationshipEndedAt: T0 + 1,
    mobileSubscription: true,
    contactPoints: [{ kind: 'fax' as never, hash: 'not-a-hash', owner: 'someone' as never, from: T0 }],
    formerContactPoints: [{ kind: 'email', hash: hex('7'), owner: 'own', from: T0 - 9, until: T0 - 1 }],
  });
  s.applyLedgerEntry(ledger());
  s.applyLedgerEntry(ledger({ sequence: 2, channel: 'email', purpose: 'own-marketing', expiresAt: T0 + 10 }));
  s.applyLedgerEntry(ledger({ subjectKey: `email:${EMAIL_A}`, decision: 'withdraw', at: T0 + 4 }));
  s.applyLedgerEntry(ledger({ subjectKey: `email:${EMAIL_A}`, sequence: 5, decision: 'prohibit', at: T0 + 6 }));
  s.applyLedgerEntry(ledger({ subjectKey: `phone:${PHONE_C}`, channel: 'phone', purpose: 'profiling' }));
  s.applyLedgerEntry(ledger({ subjectKey: `phone:${EMAIL_A}`, channel: 'sms', decision: 'lift-prohibition' }));
  s.applyLedgerEntry(ledger({ subjectKey: `email:${hex('8')}`, sequence: 3 }));
  s.applyLedgerEntry(ledger({ subjectKey: `email:${hex('8')}`, sequence: 4, channel: 'pigeon' as never }));
  s.applyLedgerEntry(ledger({ subjectKey: `email:${hex('7')}`, purpose: 'fun' as never, decision: 'maybe' as never }));
  s.applyLedgerEntry(ledger({ subjectKey: `email:${UPPER}`, at: T0 + 8 }));
  s.applyLedgerEntry(ledger({ subjectKey: 'fax:not-a-hash', sequence: 7 }));
  s.applyLedgerEntry(ledger({ subjectKey: 'customer:cust-9', sequence: 1 }));
  s.applyLedgerEntry(ledger({ subjectKey: 'customer:cust-2', sequence: 9 }));
  s.applyLedgerEntry(ledger({ subjectKey: 'customer:cust-2', sequence: 10 }));
  s.eraseLedger('customer:cust-2', 10);
  s.eraseLedger(`phone:${PHONE_C}`, 2);
  s.applyBan({ customerId: 'cust-2', sequence: 1, fullSince: T0 + 11 });
  s.applyBan({ customerId: 'cust-1', sequence: 2 });
  s.addStaffEntry(staff());
  s.addStaffEntry(staff({ id: 'entry-2', hash: PHONE_C, kind: 'phone', reason: 'robinson', channel: 'all' }));
  s.addStaffEntry(staff({ id: 'entry-3', hash: hex('6'), reason: 'manual', channel: 'sms', since: T0 + 12 }));
  s.addStaffEntry(staff({ id: 'entry-4', hash: hex('6'), reason: 'complaint' }));
  s.addStaffEntry(staff({ id: 'entry-gone' }));
  s.removeStaffEntry('entry-4', T0 + 13);
  return s;
}

/** Everything the public queries answer about a state, as JSON (undefined properties dropped). */
function answers(s: SuppressionState): unknown {
  const hashes = [EMAIL_A, EMAIL_B, PHONE_C, hex('d'), hex('9'), hex('8'), hex('7'), hex('6'), hex('5')];
  const identifiers = [...hashes, 'E'.repeat(64), 'e'.repeat(64), 'not-a-hash'];
  const customers = ['cust-1', 'cust-2', 'cust-3', 'cust-4', 'cust-9', 'nobody'];
  const subjects = [
    ...customers.map((id) => `customer:${id}`),
    ...identifiers.flatMap((h) => [`email:${h}`, `phone:${h}`]),
    'fax:not-a-hash',
  ];
  const affected = (subject: ConsentSubjectV1) => {
    const into = new Map<string, string>();
    s.addSubjectIdentifiers(subject, into as Map<string, 'email'>);
    return [...into];
  };
  return JSON.parse(
    JSON.stringify({
      counts: [s.identifierCount, s.customerCount, s.ledgerSubjectCount, s.ledgerEntryCount, s.staffEntryCount],
      identifiers: identifiers.map((h) => ({
        email: s.factsForIdentifier('email', h),
        phone: s.factsForIdentifier('phone', h),
        fax: s.factsForIdentifier('fax' as never, h),
        owner: s.ownerOf(h),
        staff: s.staffEntriesOf(h),
      })),
      customers: customers.map((id) => ({
        facts: s.factsForCustomer(id),
        sequence: s.customerSequence(id),
        hashes: s.customerHashes(id),
        ban: s.banSequence(id),
        affected: affected({ type: 'customer', key: id }),
      })),
      subjects: subjects.map((key) => [0, 1, 2, 3, 4, 5, 9, 10].map((n) => s.isLedgerEntryKnownOrErased(key, n))),
      affected: identifiers.flatMap((key) => [affected({ type: 'email', key }), affected({ type: 'phone', key })]),
      staff: ['entry-1', 'entry-2', 'entry-3', 'entry-4', 'entry-gone'].map((id) => [
        s.staffEntry(id),
        s.isStaffEntryRemoved(id),
      ]),
      facts: [...s.exportFacts()].map((fact) => JSON.stringify(fact)).sort(),
    }),
  );
}

/** Applies a list of changes to a fresh state and returns its digest. */
function digestAfter(changes: ((s: SuppressionState) => unknown)[]): string {
  const state = new SuppressionState();
  for (const change of changes) change(state);
  return state.digest().sha256;
}

describe(SuppressionState.name, () => {
  describe('idempotence and order', () => {
    const changes: ((s: SuppressionState) => unknown)[] = [
      (s) => s.applyCustomer(customer()),
      (s) =>
        s.applyCustomer(customer({ sequence: 2, contactPoints: [point('email', EMAIL_A), point('phone', PHONE_C)] })),
      (s) => s.applyCustomer(customer({ customerId: 'cust-2', contactPoints: [point('email', EMAIL_B)] })),
      (s) => s.applyLedgerEntry(ledger()),
      (s) => s.applyLedgerEntry(ledger({ subjectKey: `email:${EMAIL_B}`, decision: 'prohibit' })),
      (s) => s.applyBan({ customerId: 'cust-2', sequence: 1, fullSince: T0 }),
      (s) => s.addStaffEntry(staff()),
      (s) =>
        s.addStaffEntry(staff({ id: 'entry-2', hash: PHONE_C, kind: 'phone', reason: 'robinson', channel: 'all' })),
      (s) => s.removeStaffEntry('entry-2', T0 + 1),
    ];

    it('reaches the same state when everything is applied twice', () => {
      expect(digestAfter([...changes, ...changes])).toBe(digestAfter(changes));
    });

    it('does not depend on how events of different aggregates interleave', () => {
      const reordered = [
        changes[2],
        changes[5],
        changes[3],
        changes[0],
        changes[4],
        changes[6],
        changes[1],
        changes[7],
        changes[8],
      ];
      expect(digestAfter(reordered)).toBe(digestAfter(changes));
    });

    it('ignores an older customer state that arrives late', () => {
      const state = new SuppressionState();
      state.applyCustomer(customer({ sequence: 2, contactPoints: [point('email', EMAIL_B)] }));
      expect(state.applyCustomer(customer({ sequence: 1 }))).toBe(false);
      expect(state.ownerOf(EMAIL_A)).toBeUndefined();
      expect(state.ownerOf(EMAIL_B)?.customerId).toBe('cust-1');
    });

    it('exports facts that rebuild an equal state, in any order', () => {
      const erasing = [
        ...changes,
        (s: SuppressionState) => s.eraseLedger(`email:${EMAIL_B}`, 1),
        (s: SuppressionState) => s.applyLedgerEntry(ledger({ subjectKey: `email:${EMAIL_B}`, sequence: 3 })),
        (s: SuppressionState) =>
          s.applyCustomer(
            customer({
              customerId: 'cust-3',
              sequence: 4,
              erasedAt: T0 + 5,
              contactPoints: [point('phone', hex('d'))],
            }),
          ),
      ];
      const source = new SuppressionState();
      for (const change of erasing) change(source);
      const facts = [...source.exportFacts()];
      const forwards = new SuppressionState();
      for (const fact of facts) forwards.applyFact(fact);
      const backwards = new SuppressionState();
      for (const fact of [...facts].reverse()) backwards.applyFact(fact);
      expect(forwards.digest()).toEqual(source.digest());
      expect(backwards.digest()).toEqual(source.digest());
      expect(source.digest().counts).toMatchObject({ removedStaffEntries: 1, erasedCustomers: 1, directoryBans: 1 });
    });

    it('differs when anything a decision depends on differs', () => {
      const base = digestAfter(changes);
      expect(
        digestAfter([...changes, (s) => s.applyLedgerEntry(ledger({ sequence: 2, decision: 'withdraw' }))]),
      ).not.toBe(base);
      expect(digestAfter([...changes, (s) => s.markErased(EMAIL_B, T0)])).not.toBe(base);
      expect(digestAfter(changes.slice(0, -1))).not.toBe(base);
    });
  });

  // Re-pinned for contract v1.1 (holders are subjects of their own, holding times, relationship, products).
  describe('against earlier versions', () => {
    it('answers every query as earlier versions did', () => {
      expect(answers(everything())).toEqual(pinnedAnswers);
    });

    it('digests the same state to the same sha256 and counts', () => {
      expect(everything().digest()).toEqual({
        sha256: '91b29ed2ed6dc2575e244ff08427f0df35a5f4227fa3a5954ca73860faa8b37e',
        counts: {
          customers: 4,
          directoryBans: 2,
          erasedCustomers: 1,
          erasedIdentifiers: 2,
          identifiers: 16,
          ledgerEntries: 11,
          ledgerSubjects: 9,
          removedStaffEntries: 2,
          staffEntries: 3,
          registerRows: 0,
        },
      });
    });
  });

  describe('many identifiers', () => {
    const sha = (i: number) => createHash('sha256').update(String(i)).digest('hex');
    const person = (i: number, hashes: number[]) =>
      customer({ customerId: `cust-${i}`, contactPoints: hashes.map((h) => point(h % 2 ? 'phone' : 'email', sha(h))) });

    it('answers for each of thousands, also after identifiers are dropped and others take their place', () => {
      const state = new SuppressionState();
      const n = 3000;
      for (let i = 0; i < n; i++) {
        state.applyCustomer(person(i, [2 * i, 2 * i + 1]));
        state.applyLedgerEntry(ledger({ subjectKey: `email:${sha(2 * i)}`, decision: i % 2 ? 'withdraw' : 'grant' }));
      }
      // Every other customer drops both identifiers for two new ones; the dropped ones keep only their ledger
      // (the e-mail) or nothing (the phone).
      for (let i = 0; i < n; i += 2) {
        state.applyCustomer({ ...person(i, [10 * n + 2 * i, 10 * n + 2 * i + 1]), sequence: 2 });
      }
      const rebuilt = new SuppressionState();
      for (let i = 0; i < n; i++) {
        const own = i % 2 ? [2 * i, 2 * i + 1] : [10 * n + 2 * i, 10 * n + 2 * i + 1];
        rebuilt.applyCustomer({ ...person(i, own), sequence: i % 2 ? 1 : 2 });
        rebuilt.applyLedgerEntry(ledger({ subjectKey: `email:${sha(2 * i)}`, decision: i % 2 ? 'withdraw' : 'grant' }));
      }
      expect(state.digest()).toEqual(rebuilt.digest());
      for (let i = 0; i < n; i++) {
        const decision = i % 2 ? 'withdraw' : 'grant';
        expect(state.factsForIdentifier('email', sha(2 * i)).ledger).toEqual([expect.objectContaining({ decision })]);
        expect(state.ownerOf(sha(2 * i + 1))?.customerId).toBe(i % 2 ? `cust-${i}` : undefined);
        if (i % 2 === 0) expect(state.ownerOf(sha(10 * n + 2 * i + 1))?.customerId).toBe(`cust-${i}`);
      }
      expect(state.identifierCount).toBe(2 * n + n); // owned, plus the e-mail ledgers (overlaps count twice)
    });
  });

  describe('staff entries', () => {
    it('keeps a removed entry removed when its addition is delivered again', () => {
      const state = new SuppressionState();
      state.addStaffEntry(staff());
      state.removeStaffEntry('entry-1', T0 + 5);
      expect(state.addStaffEntry(staff())).toBe(false);
      expect(state.staffEntriesOf(EMAIL_A)).toEqual([]);
      expect(state.isStaffEntryRemoved('entry-1')).toBe(true);
    });

    it('shows an identifier only its own entries, and a customer-id check all of its identifiers', () => {
      const state = new SuppressionState();
      state.applyCustomer(customer({ contactPoints: [point('email', EMAIL_A), point('phone', PHONE_C)] }));
      state.addStaffEntry(staff());
      expect(state.factsForIdentifier('phone', PHONE_C).suppressionEntries).toEqual([]);
      expect(state.factsForIdentifier('email', EMAIL_A).suppressionEntries).toHaveLength(1);
      expect(state.factsForCustomer('cust-1')?.suppressionEntries).toHaveLength(1);
    });
  });

  it('finds the same facts by a hash as hex text and as eight big-endian words', () => {
    const state = new SuppressionState();
    state.applyCustomer(customer({ contactPoints: [point('email', EMAIL_A), point('phone', PHONE_C)] }));
    state.applyLedgerEntry(ledger({ subjectKey: `email:${EMAIL_B}`, decision: 'prohibit' }));
    state.addStaffEntry(staff());
    const words = (hash: string) =>
      Int32Array.from({ length: 8 }, (_, i) => parseInt(hash.slice(8 * i, 8 * i + 8), 16) | 0);
    for (const [kind, hash] of [
      ['email', EMAIL_A],
      ['phone', PHONE_C],
      ['email', EMAIL_B],
      ['email', hex('d')],
    ] as const) {
      expect(state.factsForIdentifierWords(kind, words(hash))).toEqual(state.factsForIdentifier(kind, hash));
    }
  });

  describe('customers and their identifiers', () => {
    it('applies ledger entries recorded against any identifier of the customer, whichever identifier is checked', () => {
      const state = new SuppressionState();
      state.applyCustomer(customer({ contactPoints: [point('email', EMAIL_A), point('phone', PHONE_C)] }));
      state.applyLedgerEntry(ledger({ subjectKey: `email:${EMAIL_A}`, decision: 'prohibit' }));
      for (const facts of [state.factsForIdentifier('phone', PHONE_C), state.factsForCustomer('cust-1')!]) {
        const query = { channel: 'post', purpose: 'own-marketing' } as const;
        expect(decide(facts, query, NOW).reasons.map((r) => r.code)).toEqual(['prohibited']);
      }
    });

    it('lets an identifier go when the customer drops it, and keeps it suppressed after erasure', () => {
      const state = new SuppressionState();
      state.applyCustomer(customer({ contactPoints: [point('email', EMAIL_A), point('phone', PHONE_C)] }));
      state.applyCustomer(customer({ sequence: 2, contactPoints: [point('email', EMAIL_A)] }));
      expect(state.ownerOf(PHONE_C)).toBeUndefined();
      state.applyCustomer(customer({ sequence: 3, erasedAt: T0 + 7, contactPoints: [point('email', EMAIL_A)] }));
      expect(state.ownerOf(EMAIL_A)).toBeUndefined();
      expect(state.factsForIdentifier('email', EMAIL_A).erasedSince).toBe(T0 + 7);
      expect(state.factsForCustomer('cust-1')).toEqual({
        subject: 'person',
        erasedSince: T0 + 7,
        ledger: [],
        suppressionEntries: [],
      });
    });

    it('finds every customer sharing an identifier as a subject of its own, the same whichever arrived first', () => {
      const one = customer({ contactPoints: [point('email', EMAIL_A)] });
      const two = customer({
        customerId: 'cust-2',
        kind: 'organization',
        restrictedSince: T0 + 3,
        contactPoints: [point('email', EMAIL_A)],
      });
      const a = new SuppressionState();
      a.applyCustomer(one);
      a.applyCustomer(two);
      const b = new SuppressionState();
      b.applyCustomer(two);
      b.applyCustomer(one);
      expect(a.factsForIdentifier('email', EMAIL_A)).toEqual(b.factsForIdentifier('email', EMAIL_A));
      const facts = a.factsForIdentifier('email', EMAIL_A);
      expect([facts.subject, facts.also?.map((f) => f.subject)]).toEqual(['person', ['organization']]);
      expect(facts.also?.[0].restrictedSince).toBe(T0 + 3);
      // One of them leaves: the identifier belongs to the other alone.
      a.applyCustomer({ ...two, sequence: 2, contactPoints: [] });
      expect(a.factsForIdentifier('email', EMAIL_A).also).toBeUndefined();
      expect(a.factsForIdentifier('email', EMAIL_A).restrictedSince).toBeUndefined();
    });

    it('finds an organisation by its own address and a contact person, a subject of their own, by theirs (R3)', () => {
      const state = new SuppressionState();
      state.applyCustomer(
        customer({
          kind: 'organization',
          contactPoints: [point('email', EMAIL_A), point('email', EMAIL_B, 'contact-person')],
        }),
      );
      expect(state.factsForIdentifier('email', EMAIL_A).subject).toBe('organization');
      expect(state.factsForIdentifier('email', EMAIL_B).subject).toBe('contact-person');
    });

    it('drops ledger entries below an erasure floor and refuses late ones', () => {
      const state = new SuppressionState();
      state.applyLedgerEntry(ledger({ sequence: 1 }));
      state.applyLedgerEntry(ledger({ sequence: 2, decision: 'prohibit' }));
      state.eraseLedger('customer:cust-1', 3);
      expect(state.ledgerEntryCount).toBe(0);
      expect(state.applyLedgerEntry(ledger({ sequence: 2, decision: 'prohibit' }))).toBe(false);
      expect(state.isLedgerEntryKnownOrErased('customer:cust-1', 1)).toBe(true);
      expect(state.applyLedgerEntry(ledger({ sequence: 4 }))).toBe(true);
    });
  });

  describe('affected identifiers (partner feed)', () => {
    it('includes every identifier of the customers a bare identifier belongs to', () => {
      const state = new SuppressionState();
      state.applyCustomer(customer({ contactPoints: [point('email', EMAIL_A), point('phone', PHONE_C)] }));
      const affected = new Map<string, 'email' | 'phone'>();
      state.addSubjectIdentifiers({ type: 'email', key: EMAIL_A }, affected);
      expect(affected).toEqual(
        new Map([
          [EMAIL_A, 'email'],
          [PHONE_C, 'phone'],
        ]),
      );
      const bare = new Map<string, 'email' | 'phone'>();
      state.addSubjectIdentifiers({ type: 'phone', key: hex('d') }, bare);
      expect(bare).toEqual(new Map([[hex('d'), 'phone']]));
    });
  });
});
