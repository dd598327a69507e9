import type { CustomerKind, Language } from '@kielto/contracts';
import type { EncryptedField } from '@kielto/platform';

export interface Address {
  street: string;
  postalCode: string;
  city: string;
  country: string;
}

export interface ContactPerson {
  name: string;
  /** Normalised (trimmed, lower-case). */
  email?: string;
  /** E.164. */
  phone?: string;
  title?: string;
  address?: Address;
}

export interface Rectification {
  at: string;
  /** The API key id of the caller. */
  actor: string;
  /** Names of the fields that changed, never their values. */
  fields: string[];
}

export interface RestrictionAction {
  at: string;
  action: 'restricted' | 'lifted';
  actor: string;
  reason?: string;
}

/**
 * Everything held privately about a customer: the data in clear for lookups, the identity code only sealed
 * (AES-256-GCM, the customer id as associated data) beside its keyed hash. Never published as such; the
 * public projection is `CustomerStateV1`.
 */
export interface CustomerRecord {
  id: string;
  customerNumber: string;
  kind: CustomerKind;
  name: string;
  identityCode?: EncryptedField;
  /** HMAC-SHA256 of the normalised code with KIELTO_PII_HASH_KEY: matching without decrypting. */
  identityCodeHash?: string;
  /** What GET shows instead of the code, e.g. `**********T`. */
  identityCodeMask?: string;
  businessId?: string;
  language: Language;
  /** Normalised, unique within the customer, in the order given. */
  emails: string[];
  /** E.164, unique within the customer, in the order given. */
  phones: string[];
  address?: Address;
  contactPersons: ContactPerson[];
  activeContract: boolean;
  restriction?: { since: string; reason: string; by: string };
  /** Every restriction and lifting, with who did it and why (accountability, GDPR Art 5(2)). */
  restrictionHistory: RestrictionAction[];
  rectifications: Rectification[];
  createdAt: string;
  createdBy: string;
  updatedAt: string;
}

/** The committed state of a customer as the write protocol sees it. */
export type CommittedCustomer =
  | { erased: false; version: number; record: CustomerRecord }
  | { erased: true; version: number; erasedAt: string };
