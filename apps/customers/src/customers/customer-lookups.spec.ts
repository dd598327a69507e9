import { formerLookupKeysOf, lookupKeyOf, lookupKeysOf } from './customer-lookups';

const hash = (value: string) => `h(${value})`;

describe('customer lookup keys', () => {
  it('keys own e-mails, phones and the identity code by keyed hash, never in clear', () => {
    const keys = lookupKeysOf({ emails: ['a@x.fi', 'b@x.fi'], phones: ['+358401'], identityCodeHash: 'ich' }, hash);
    expect(keys).toEqual(['email:h(a@x.fi)', 'email:h(b@x.fi)', 'phone:h(+358401)', 'identity-code:ich']);
    expect(lookupKeysOf({ emails: [], phones: [] }, hash)).toEqual([]);
  });

  it('gives a query the key the holder was stored under', () => {
    expect(lookupKeyOf({ field: 'email', value: 'a@x.fi' }, hash)).toBe('email:h(a@x.fi)');
    expect(lookupKeyOf({ field: 'phone', value: '+358401' }, hash)).toBe('phone:h(+358401)');
    expect(lookupKeyOf({ field: 'identityCodeHash', value: 'ich' }, hash)).toBe('identity-code:ich');
  });

  it('releases former own identifiers on erasure, not a contact person’s', () => {
    const keys = formerLookupKeysOf([
      { kind: 'email', hash: 'e1', owner: 'own', from: '2026-01-01T00:00:00Z', until: '2026-02-01T00:00:00Z' },
      {
        kind: 'phone',
        hash: 'p1',
        owner: 'contact-person',
        person: 'p',
        from: '2026-01-01T00:00:00Z',
        until: '2026-02-01T00:00:00Z',
      },
    ]);
    expect(keys).toEqual(['email:e1']);
  });
});
