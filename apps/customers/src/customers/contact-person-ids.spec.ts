import { assignContactPersonIds, legacyContactPersonId, NewContactPerson } from './contact-person-ids';
import type { ContactPerson } from './customer-record';

const ids = () => {
  let n = 0;
  return () => `new-${++n}`;
};
const given = (name: string, overrides: Partial<NewContactPerson> = {}): NewContactPerson => ({ name, ...overrides });
const held = (id: string, name: string, overrides: Partial<NewContactPerson> = {}): ContactPerson => ({
  id,
  name,
  ...overrides,
});

describe(assignContactPersonIds.name, () => {
  it('gives every person of a new customer a new id', () => {
    expect(assignContactPersonIds([], [given('A'), given('B')], ids()).map((p) => p.id)).toEqual(['new-1', 'new-2']);
  });

  it('keeps the id of a person matched by e-mail, then phone, then name; others get new ids', () => {
    const previous = [
      held('by-email', 'Maija', { email: 'maija@x.fi', phone: '+358401' }),
      held('by-phone', 'Pekka', { phone: '+358402' }),
      held('by-name', 'Liisa'),
      held('removed', 'Olli', { email: 'olli@x.fi' }),
    ];
    const next = assignContactPersonIds(
      previous,
      [
        given('Maija Virtanen', { email: 'maija@x.fi', phone: '+358409' }),
        given('Pekka P', { email: 'pekka@x.fi', phone: '+358402' }),
        given(' liisa '),
        given('Uusi', { email: 'uusi@x.fi' }),
      ],
      ids(),
    );
    expect(next.map((p) => p.id)).toEqual(['by-email', 'by-phone', 'by-name', 'new-1']);
    expect(next[0]).toEqual({ id: 'by-email', name: 'Maija Virtanen', email: 'maija@x.fi', phone: '+358409' });
  });

  it('lets a stronger match win over a weaker one earlier in the list, and uses each previous person once', () => {
    const previous = [held('p1', 'Sama Nimi', { email: 'a@x.fi' })];
    const next = assignContactPersonIds(
      previous,
      [given('Sama Nimi', { email: 'b@x.fi' }), given('Toinen', { email: 'a@x.fi' }), given('Sama Nimi')],
      ids(),
    );
    expect(next.map((p) => p.id)).toEqual(['new-1', 'p1', 'new-2']);
  });

  it('derives a stable id for a contact person stored before v1.1', () => {
    const customerId = '6f0b9c2e-5d1a-4c3b-9e8f-7a6b5c4d3e2f';
    expect(legacyContactPersonId(customerId, 0)).toBe(legacyContactPersonId(customerId, 0));
    expect(legacyContactPersonId(customerId, 0)).not.toBe(legacyContactPersonId(customerId, 1));
    expect(legacyContactPersonId(customerId, 0)).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });
});
