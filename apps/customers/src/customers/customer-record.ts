import type { CustomerKind, FormerContactPointV1, Language, PopulationRegisterBan, Product } from '@kielto/contracts';
import type { EncryptedField } from '@kielto/platform';

export interface Address {
  street: string;
  postalCode: string;
  city: string;
  country: string;
}

export interface ContactPerson {
  /**
   * Stable id of the contact person within the customer (R3: a contact person is a subject of their own). Kept
   * across rectifications that keep the person (see `assignContactPersonIds`); events carry it as `person`.
   */
  id: string;
  name: string;
  /** Normalised (trimmed, lower-case). */
  email?: string;
  /** E.164. */
  phone?: string;
  title?: string;
  address?: Address;
}

/**
 * An identifier the customer (or one of its contact persons) holds now, as the keyed hash the events carry, with
 * the instant the holding began. Contract v1.1 §3: entries recorded against an identifier bind whoever held it
 * when they were recorded, so the holding times are part of what the customer record must keep.
 */
export interface HeldIdentifier {
  kind: 'email' | 'phone';
  hash: string;
  owner: 'own' | 'contact-person';
  /** The contact person's id, for `owner: contact-person`. */
  person?: string;
  from: string;
}

/** An identifier held in `[from, until)`: kept as keyed hash only, also after erasure (R8). */
export type FormerIdentifier = FormerContactPointV1;

export interface Rectification {
  at: string;
  /** The API key id of the caller. */
  actor: string;
  /** Names of the fields that changed, never their values. */
  fields: string[];
}

/**
 * A legal hold (GDPR Art 17(3)(e): data needed for legal claims): while in force, erasure is refused, by staff and
 * by the retention job alike. In force until `until` when given, else until released.
 */
export interface LegalHold {
  since: string;
  reason: string;
  by: string;
  until?: string;
}

export interface LegalHoldAction {
  at: string;
  action: 'placed' | 'released';
  actor: string;
  reason?: string;
  until?: string;
}

/** True while the hold stops erasure. */
export const holdInForce = (hold: LegalHold | undefined, now = Date.now()): hold is LegalHold =>
  hold !== undefined && (hold.until === undefined || Date.parse(hold.until) > now);

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
  /**
   * When `activeContract` last turned false (R2's "ended … ago"); absent while the relationship is active and for
   * a prospect who never had a contract.
   */
  relationshipEndedAt?: string;
  /** Product categories held now (R10), unique, in the order given. */
  products: Product[];
  /** DVV bans (docs/CONTRACT.md §3.9); absent when none. */
  populationRegisterBans?: PopulationRegisterBan[];
  /** The identifiers held now with their holding start (one per identifier and holder, duplicates included). */
  holdings: HeldIdentifier[];
  /** Identifiers held before, oldest holding end first; never removed (their refusals keep binding, §3). */
  formerContactPoints: FormerIdentifier[];
  restriction?: { since: string; reason: string; by: string };
  /** Every restriction and lifting, with who did it and why (accountability, GDPR Art 5(2)). */
  restrictionHistory: RestrictionAction[];
  rectifications: Rectification[];
  legalHold?: LegalHold;
  /** Every hold placed or released, with who and why (accountability, GDPR Art 5(2)). Absent before the first. */
  legalHoldHistory?: LegalHoldAction[];
  createdAt: string;
  createdBy: string;
  updatedAt: string;
}

/** The committed state of a customer as the write protocol sees it. */
export type CommittedCustomer =
  | { erased: false; version: number; record: CustomerRecord }
  | { erased: true; version: number; erasedAt: string };
