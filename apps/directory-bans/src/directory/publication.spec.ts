import { DIRECTORY_OUTLETS, DirectoryOutlet } from '@kielto/contracts';
import { Listing } from '../listing/listing.types';
import { compareIds, publishListing, PublicationBan } from './publication';

function listing(overrides: Partial<Listing> = {}): Listing {
  return {
    customerId: '7d3f6a8e-4a52-4a8f-9d0b-2f1c3e5a7b90',
    customerNumber: '1000042',
    name: 'Matti Meikäläinen',
    phone: '+358401234567',
    address: { street: 'Mannerheimintie 1', postalCode: '00100', city: 'Helsinki', country: 'FI' },
    ...overrides,
  };
}

function ban(overrides: Partial<PublicationBan> = {}): PublicationBan {
  return { scope: 'full', hiddenFields: [], outlets: [], ...overrides };
}

describe(publishListing.name, () => {
  it('publishes an unbanned listing whole', () => {
    expect(publishListing(listing(), undefined, 'online')).toEqual({
      customerId: '7d3f6a8e-4a52-4a8f-9d0b-2f1c3e5a7b90',
      customerNumber: '1000042',
      name: 'Matti Meikäläinen',
      phone: '+358401234567',
      address: { street: 'Mannerheimintie 1', postalCode: '00100', city: 'Helsinki', country: 'FI' },
    });
  });

  it('withholds a fully banned listing from every outlet when the ban names none', () => {
    for (const outlet of DIRECTORY_OUTLETS) expect(publishListing(listing(), ban(), outlet)).toBeNull();
  });

  it('withholds a full ban only from the outlets it names', () => {
    const printedOnly = ban({ outlets: ['printed', 'reverse-search'] });
    expect(publishListing(listing(), printedOnly, 'printed')).toBeNull();
    expect(publishListing(listing(), printedOnly, 'reverse-search')).toBeNull();
    expect(publishListing(listing(), printedOnly, 'online')).toEqual(listing());
    expect(publishListing(listing(), printedOnly, 'inquiry-service')).toEqual(listing());
  });

  it('leaves hidden fields absent (not null or empty) under a partial ban', () => {
    const entry = publishListing(listing(), ban({ scope: 'partial', hiddenFields: ['address'] }), 'online');
    expect(entry).toEqual({
      customerId: listing().customerId,
      customerNumber: '1000042',
      name: 'Matti Meikäläinen',
      phone: '+358401234567',
    });
    expect(entry).not.toHaveProperty('address');

    const noPhone = publishListing(listing(), ban({ scope: 'partial', hiddenFields: ['phone', 'name'] }), 'printed');
    expect(noPhone).toEqual({
      customerId: listing().customerId,
      customerNumber: '1000042',
      address: listing().address,
    });
  });

  it('hides fields only for the outlets a partial ban names', () => {
    const reverseSearch = ban({ scope: 'partial', hiddenFields: ['phone'], outlets: ['reverse-search'] });
    expect(publishListing(listing(), reverseSearch, 'reverse-search')).not.toHaveProperty('phone');
    const others: DirectoryOutlet[] = ['printed', 'online', 'inquiry-service'];
    for (const outlet of others) expect(publishListing(listing(), reverseSearch, outlet)).toEqual(listing());
  });

  it('withholds a listing when every field it has is hidden', () => {
    const everything = ban({ scope: 'partial', hiddenFields: ['name', 'phone', 'address'] });
    expect(publishListing(listing(), everything, 'online')).toBeNull();
    const nameOnly = listing({ phone: undefined, address: undefined });
    expect(publishListing(nameOnly, ban({ scope: 'partial', hiddenFields: ['name'] }), 'online')).toBeNull();
  });

  it('publishes a listing without phone or address with what it has', () => {
    const nameOnly = listing({ phone: undefined, address: undefined });
    expect(publishListing(nameOnly, undefined, 'printed')).toEqual({
      customerId: nameOnly.customerId,
      customerNumber: '1000042',
      name: 'Matti Meikäläinen',
    });
    expect(publishListing(nameOnly, ban({ scope: 'partial', hiddenFields: ['address'] }), 'printed')).toEqual({
      customerId: nameOnly.customerId,
      customerNumber: '1000042',
      name: 'Matti Meikäläinen',
    });
  });
});

describe(compareIds.name, () => {
  const utf8Order = (a: string, b: string) => Math.sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));

  it('orders ids as the database does (UTF-8 bytes), also where UTF-16 order differs', () => {
    const ids = ['a', 'ab', 'b', 'B', '0', '', 'ä', '\uE000', '\uFFFD', '😀', '😀a', 'z\uD83D\uDE00', 'z\uFFFF'];
    for (const a of ids) for (const b of ids) expect(Math.sign(compareIds(a, b))).toBe(utf8Order(a, b));
  });

  it('orders UUIDs like plain string comparison', () => {
    expect(compareIds('0f000000-0000-4000-8000-000000000000', 'a0000000-0000-4000-8000-000000000000')).toBeLessThan(0);
    expect(compareIds('7d3f6a8e-4a52-4a8f-9d0b-2f1c3e5a7b90', '7d3f6a8e-4a52-4a8f-9d0b-2f1c3e5a7b90')).toBe(0);
  });
});
