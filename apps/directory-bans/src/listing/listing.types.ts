/** What a directory outlet may publish about a customer before bans are applied. */
export interface Listing {
  customerId: string;
  customerNumber: string;
  name: string;
  phone?: string;
  address?: ListingAddress;
}

export interface ListingAddress {
  street: string;
  postalCode: string;
  city: string;
  country: string;
}

/** A customer event reduced to what the listing projection needs. */
export type ListingChange =
  | {
      customerId: string;
      sequence: number;
      erased: false;
      /** Whether outlets may list the customer at all (see `isListable`); bans are applied on export. */
      publishable: boolean;
      listing: Omit<Listing, 'customerId'>;
    }
  | { customerId: string; sequence: number; erased: true };
