import type { ContactPerson, CustomerRecord } from './customer-record';
import { advanceHoldings, Holdings, identifiersOf, legacyHoldings } from './identifier-holdings';

const T1 = '2026-01-01T00:00:00.000Z';
const T2 = '2026-02-01T00:00:00.000Z';
const T3 = '2026-03-01T00:00:00.000Z';
/** A stand-in keyed hash: readable in failures, never the identifier itself. */
const hash = (value: string) => `h(${value})`;

type Held = Pick<CustomerRecord, 'emails' | 'phones' | 'contactPersons'>;
const held = (overrides: Partial<Held> = {}): Held => ({ emails: [], phones: [], contactPersons: [], ...overrides });
const person = (id: string, overrides: Partial<ContactPerson> = {}): ContactPerson => ({ id, name: id, ...overrides });
const none: Holdings = { holdings: [], formerContactPoints: [] };
const after = (before: Holdings, record: Held, at: string) => advanceHoldings(before, identifiersOf(record, hash), at);

describe('identifier holdings', () => {
  it('lists own identifiers, then each contact person’s under their id', () => {
    expect(
      identifiersOf(
        held({
          emails: ['a@x.fi'],
          phones: ['+358401'],
          contactPersons: [person('p1', { email: 'p@x.fi', phone: '+358402' })],
        }),
        hash,
      ),
    ).toEqual([
      { kind: 'email', hash: 'h(a@x.fi)', owner: 'own' },
      { kind: 'phone', hash: 'h(+358401)', owner: 'own' },
      { kind: 'email', hash: 'h(p@x.fi)', owner: 'contact-person', person: 'p1' },
      { kind: 'phone', hash: 'h(+358402)', owner: 'contact-person', person: 'p1' },
    ]);
  });

  it('starts every identifier of a new customer at creation', () => {
    const created = after(none, held({ emails: ['a@x.fi'], phones: ['+358401'] }), T1);
    expect(created.holdings.map((h) => h.from)).toEqual([T1, T1]);
    expect(created.formerContactPoints).toEqual([]);
  });

  it('keeps the holding start of an identifier kept across a rectification', () => {
    const created = after(none, held({ emails: ['a@x.fi'], phones: ['+358401'] }), T1);
    const renamed = after(created, held({ emails: ['a@x.fi', 'b@x.fi'], phones: ['+358401'] }), T2);
    expect(renamed.holdings).toEqual([
      { kind: 'email', hash: 'h(a@x.fi)', owner: 'own', from: T1 },
      { kind: 'email', hash: 'h(b@x.fi)', owner: 'own', from: T2 },
      { kind: 'phone', hash: 'h(+358401)', owner: 'own', from: T1 },
    ]);
    expect(renamed.formerContactPoints).toEqual([]);
  });

  it('turns a rectified identifier into a former one held until the change, as a hash only', () => {
    const created = after(none, held({ emails: ['old@x.fi'] }), T1);
    const rectified = after(created, held({ emails: ['new@x.fi'] }), T2);
    expect(rectified.holdings).toEqual([{ kind: 'email', hash: 'h(new@x.fi)', owner: 'own', from: T2 }]);
    expect(rectified.formerContactPoints).toEqual([
      { kind: 'email', hash: 'h(old@x.fi)', owner: 'own', from: T1, until: T2 },
    ]);
    expect(JSON.stringify(rectified)).not.toContain('"old@x.fi"');
  });

  it('starts a new holding when an identifier comes back, keeping the earlier period', () => {
    const first = after(none, held({ phones: ['+358401'] }), T1);
    const gone = after(first, held(), T2);
    const back = after(gone, held({ phones: ['+358401'] }), T3);
    expect(back.holdings).toEqual([{ kind: 'phone', hash: 'h(+358401)', owner: 'own', from: T3 }]);
    expect(back.formerContactPoints).toEqual([
      { kind: 'phone', hash: 'h(+358401)', owner: 'own', from: T1, until: T2 },
    ]);
  });

  it('ends the holdings of a removed contact person, and of a changed address of one kept', () => {
    const created = after(
      none,
      held({
        contactPersons: [person('p1', { email: 'p1@x.fi', phone: '+358402' }), person('p2', { email: 'p2@x.fi' })],
      }),
      T1,
    );
    const changed = after(
      created,
      held({ contactPersons: [person('p1', { email: 'p1.new@x.fi', phone: '+358402' })] }),
      T2,
    );
    expect(changed.holdings).toEqual([
      { kind: 'email', hash: 'h(p1.new@x.fi)', owner: 'contact-person', person: 'p1', from: T2 },
      { kind: 'phone', hash: 'h(+358402)', owner: 'contact-person', person: 'p1', from: T1 },
    ]);
    expect(changed.formerContactPoints).toEqual([
      { kind: 'email', hash: 'h(p1@x.fi)', owner: 'contact-person', person: 'p1', from: T1, until: T2 },
      { kind: 'email', hash: 'h(p2@x.fi)', owner: 'contact-person', person: 'p2', from: T1, until: T2 },
    ]);
  });

  it('treats an identifier moving from the organisation to a contact person as the end of one holding and the start of another', () => {
    const created = after(none, held({ emails: ['info@x.fi'] }), T1);
    const moved = after(created, held({ contactPersons: [person('p1', { email: 'info@x.fi' })] }), T2);
    expect(moved.holdings).toEqual([
      { kind: 'email', hash: 'h(info@x.fi)', owner: 'contact-person', person: 'p1', from: T2 },
    ]);
    expect(moved.formerContactPoints).toEqual([
      { kind: 'email', hash: 'h(info@x.fi)', owner: 'own', from: T1, until: T2 },
    ]);
  });

  it('reads a record stored before v1.1 as holding its identifiers since creation, with nothing former', () => {
    const legacy = legacyHoldings({ ...held({ emails: ['a@x.fi'] }), createdAt: T1 }, hash);
    expect(legacy).toEqual({
      holdings: [{ kind: 'email', hash: 'h(a@x.fi)', owner: 'own', from: T1 }],
      formerContactPoints: [],
    });
  });
});
