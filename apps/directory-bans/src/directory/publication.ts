import { DirectoryBanScope, DirectoryField, DirectoryOutlet } from '@kielto/contracts';
import { Listing, ListingAddress } from '../listing/listing.types';

/** The part of a ban that decides what an outlet may publish. */
export interface PublicationBan {
  scope: DirectoryBanScope;
  hiddenFields: readonly DirectoryField[];
  /** Empty = every outlet. */
  outlets: readonly DirectoryOutlet[];
}

/** One line of the export: hidden fields are absent, never null or empty. */
export interface DirectoryEntry {
  customerId: string;
  customerNumber: string;
  name?: string;
  phone?: string;
  address?: ListingAddress;
}

export function banAppliesTo(ban: PublicationBan, outlet: DirectoryOutlet): boolean {
  return ban.outlets.length === 0 || ban.outlets.includes(outlet);
}

/**
 * What `outlet` may publish of a listing under the customer's ban (R9), or null when nothing may be published:
 * a full ban that applies to the outlet withholds the listing, a partial one withholds its hidden fields. A
 * listing left with no name, phone or address says nothing but that the customer exists, so it is withheld too.
 */
export function publishListing(
  listing: Listing,
  ban: PublicationBan | undefined,
  outlet: DirectoryOutlet,
): DirectoryEntry | null {
  const applies = ban !== undefined && banAppliesTo(ban, outlet);
  if (applies && ban.scope === 'full') return null;
  const hidden: readonly DirectoryField[] = applies ? ban.hiddenFields : [];
  const name = hidden.includes('name') ? undefined : listing.name;
  const phone = hidden.includes('phone') ? undefined : listing.phone;
  const address = hidden.includes('address') ? undefined : listing.address;
  if (!name && phone === undefined && address === undefined) return null;
  return {
    customerId: listing.customerId,
    customerNumber: listing.customerNumber,
    ...(name ? { name } : {}),
    ...(phone !== undefined ? { phone } : {}),
    ...(address !== undefined ? { address } : {}),
  };
}

/**
 * Orders ids as MongoDB and FerretDB sort strings without a collation (by UTF-8 bytes, i.e. by code point). The
 * export's merge join depends on agreeing with the database, or a ban could be skipped. JavaScript's `<` orders
 * UTF-16 code units, which differs only for characters above U+FFFF against U+E000–U+FFFF.
 */
export function compareIds(a: string, b: string): number {
  if (a === b) return 0;
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const surrogateX = x >= 0xd800 && x <= 0xdfff;
    const surrogateY = y >= 0xd800 && y <= 0xdfff;
    if (surrogateX !== surrogateY) return surrogateX ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}
