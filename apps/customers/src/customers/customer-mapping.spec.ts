import { IdentifierHasher } from '@kielto/platform';
import { contactPointsOf, toEventState, toView, upgradeRecord } from './customer-mapping';
import type { CustomerRecord } from './customer-record';

const hasher = new IdentifierHasher('unit-test-partner-hash-key');
const CREATED = '2025-05-01T08:00:00.000Z';
const LATER = '2026-01-01T00:00:00.000Z';

/** A record as stored before contract v1.1: no products, no contact-person ids, no holding times. */
function legacyRecord(): CustomerRecord {
  const record = {
    id: '6f0b9c2e-5d1a-4c3b-9e8f-7a6b5c4d3e2f',
    customerNumber: 'K40512738',
    kind: 'organization',
    name: 'Vanha Oy',
    language: 'fi',
    emails: ['info@vanha.fi'],
    phones: ['+358401234567'],
    contactPersons: [{ name: 'Maija', email: 'maija@vanha.fi' }],
    activeContract: false,
    restrictionHistory: [],
    rectifications: [],
    createdAt: CREATED,
    createdBy: 'staff-1',
    updatedAt: CREATED,
  };
  return record as unknown as CustomerRecord;
}

describe(upgradeRecord.name, () => {
  it('reads a record stored before v1.1 with no products, stable contact-person ids and identifiers held since creation', () => {
    const upgraded = upgradeRecord(legacyRecord(), hasher);
    expect(upgraded.products).toEqual([]);
    expect(upgraded.formerContactPoints).toEqual([]);
    const personId = upgraded.contactPersons[0].id;
    expect(personId).toMatch(/^[0-9a-f-]{36}$/);
    expect(upgradeRecord(legacyRecord(), hasher).contactPersons[0].id).toBe(personId);
    expect(upgraded.holdings.map((h) => h.from)).toEqual([CREATED, CREATED, CREATED]);

    const state = toEventState(upgraded, hasher);
    expect(state.products).toEqual([]);
    expect(state).not.toHaveProperty('relationshipEndedAt');
    expect(state.formerContactPoints).toEqual([]);
    expect(state.contactPoints).toEqual([
      { kind: 'email', hash: hasher.hash('info@vanha.fi'), owner: 'own', from: CREATED },
      { kind: 'phone', hash: hasher.hash('+358401234567'), owner: 'own', from: CREATED },
      { kind: 'email', hash: hasher.hash('maija@vanha.fi'), owner: 'contact-person', person: personId, from: CREATED },
    ]);
    expect(toView(upgraded, 3)).toMatchObject({ products: [], contactPersons: [{ id: personId, name: 'Maija' }] });
  });

  it('leaves a v1.1 record as it is', () => {
    const upgraded = upgradeRecord(legacyRecord(), hasher);
    const current: CustomerRecord = { ...upgraded, products: ['tv'], relationshipEndedAt: LATER };
    expect(upgradeRecord(current, hasher)).toBe(current);
  });
});

describe(contactPointsOf.name, () => {
  it('publishes an identifier the organisation and a contact person share once per holder (R3: each is a subject)', () => {
    const shared = upgradeRecord(
      { ...legacyRecord(), contactPersons: [{ id: 'p1', name: 'Maija', email: 'info@vanha.fi' }] },
      hasher,
    );
    expect(contactPointsOf(shared, hasher).filter((p) => p.kind === 'email')).toEqual([
      { kind: 'email', hash: hasher.hash('info@vanha.fi'), owner: 'own', from: CREATED },
      { kind: 'email', hash: hasher.hash('info@vanha.fi'), owner: 'contact-person', person: 'p1', from: CREATED },
    ]);
  });
});
