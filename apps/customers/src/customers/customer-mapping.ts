import {
  ContactPointHashV1,
  CustomerStateV1,
  normalisePostalIdentity,
  PopulationRegisterBan,
  postalHashInput,
  Product,
} from '@kielto/contracts';
import type { IdentifierHasher } from '@kielto/platform';
import { legacyContactPersonId } from './contact-person-ids';
import type {
  Address,
  ContactPerson,
  CustomerRecord,
  LegalHold,
  LegalHoldAction,
  Rectification,
  RestrictionAction,
} from './customer-record';
import { holdingKey, identifiersOf, legacyHoldings } from './identifier-holdings';

/** What the API returns for a customer. The identity code appears masked only. */
export interface CustomerView {
  id: string;
  customerNumber: string;
  kind: CustomerRecord['kind'];
  name: string;
  personalIdentityCode?: string;
  businessId?: string;
  language: CustomerRecord['language'];
  emails: string[];
  phones: string[];
  address?: Address;
  contactPersons: ContactPerson[];
  activeContract: boolean;
  relationshipEndedAt?: string;
  products: Product[];
  populationRegisterBans?: PopulationRegisterBan[];
  restricted: boolean;
  restriction?: { since: string; reason: string };
  restrictionHistory: RestrictionAction[];
  rectifications: Rectification[];
  legalHold?: LegalHold;
  legalHoldHistory: LegalHoldAction[];
  createdAt: string;
  updatedAt: string;
  version: number;
}

export function toView(record: CustomerRecord, version: number): CustomerView {
  return {
    id: record.id,
    customerNumber: record.customerNumber,
    kind: record.kind,
    name: record.name,
    ...(record.identityCodeMask ? { personalIdentityCode: record.identityCodeMask } : {}),
    ...(record.businessId ? { businessId: record.businessId } : {}),
    language: record.language,
    emails: record.emails,
    phones: record.phones,
    // A safety ban (turvakielto, §3.9) keeps the address out of every answer but the subject's own export.
    ...(record.address && !hasSafetyBan(record) ? { address: record.address } : {}),
    contactPersons: record.contactPersons,
    activeContract: record.activeContract,
    ...(record.relationshipEndedAt ? { relationshipEndedAt: record.relationshipEndedAt } : {}),
    products: record.products,
    ...(record.populationRegisterBans ? { populationRegisterBans: [...record.populationRegisterBans] } : {}),
    restricted: record.restriction !== undefined,
    ...(record.restriction
      ? { restriction: { since: record.restriction.since, reason: record.restriction.reason } }
      : {}),
    restrictionHistory: record.restrictionHistory ?? [],
    rectifications: record.rectifications,
    ...(record.legalHold ? { legalHold: record.legalHold } : {}),
    legalHoldHistory: record.legalHoldHistory ?? [],
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    version,
  };
}

/**
 * Every identifier of the customer as a keyed hash: own ones, then the contact persons' (each with its person id),
 * each with the instant its holder began to hold it. An identifier the organisation and a contact person share
 * appears once per holder: each is a subject of its own (R3), and an answer about it covers both.
 */
export function contactPointsOf(record: CustomerRecord, hasher: IdentifierHasher): ContactPointHashV1[] {
  const since = new Map(record.holdings.map((h) => [holdingKey(h), h.from]));
  const points: ContactPointHashV1[] = [];
  const seen = new Set<string>();
  for (const identifier of identifiersOf(record, (value) => hasher.hash(value))) {
    const key = `${identifier.kind}:${identifier.hash}:${identifier.person ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    points.push({ ...identifier, from: since.get(holdingKey(identifier)) ?? record.createdAt });
  }
  return points;
}

/**
 * A record as contract v1.1 reads it. Records stored before v1.1 lack products, contact-person ids and holding
 * times: no products, ids derived from the customer id and position, identifiers held since creation.
 */
export function upgradeRecord(record: CustomerRecord, hasher: IdentifierHasher): CustomerRecord {
  const stored = record as Partial<CustomerRecord> & CustomerRecord;
  if (stored.holdings && stored.formerContactPoints && stored.products && record.contactPersons.every((p) => p.id))
    return record;
  const contactPersons = record.contactPersons.map((p, i) =>
    p.id ? p : { ...p, id: legacyContactPersonId(record.id, i) },
  );
  const upgraded = { ...record, contactPersons, products: stored.products ?? [] };
  const legacy = legacyHoldings(upgraded, (value) => hasher.hash(value));
  return {
    ...upgraded,
    holdings: stored.holdings ?? legacy.holdings,
    formerContactPoints: stored.formerContactPoints ?? legacy.formerContactPoints,
  };
}

/**
 * The public state carried by every customer event (event-carried state transfer): keyed hashes, flags and the
 * directory listing. No e-mail address, identity code or contact person's data in clear.
 */
export function toEventState(record: CustomerRecord, hasher: IdentifierHasher): CustomerStateV1 {
  return {
    customerId: record.id,
    customerNumber: record.customerNumber,
    kind: record.kind,
    language: record.language,
    activeContract: record.activeContract,
    ...(record.relationshipEndedAt ? { relationshipEndedAt: record.relationshipEndedAt } : {}),
    products: [...record.products],
    contactPoints: contactPointsOf(record, hasher),
    formerContactPoints: record.formerContactPoints.map((f) => ({ ...f })),
    listing: {
      name: record.name,
      ...(record.phones[0] ? { phone: record.phones[0] } : {}),
      ...(record.address && !hasSafetyBan(record) ? { address: { ...record.address } } : {}),
    },
    ...postalHashOf(record, hasher),
    ...(record.populationRegisterBans ? { populationRegisterBans: [...record.populationRegisterBans] } : {}),
    ...(record.restriction ? { restrictedSince: record.restriction.since } : {}),
    since: record.createdAt,
  };
}

/** A DVV safety ban (turvakielto): never listed, the address only in the subject's own export (§3.9). */
export const hasSafetyBan = (record: Pick<CustomerRecord, 'populationRegisterBans'>) =>
  record.populationRegisterBans?.includes('safety') ?? false;

/** The keyed hash of the customer's postal identity (name and address), when the address makes one. */
function postalHashOf(record: CustomerRecord, hasher: IdentifierHasher): { postalHash?: string } {
  if (!record.address) return {};
  const identity = normalisePostalIdentity({ name: record.name, ...record.address }, []);
  return identity === null ? {} : { postalHash: hasher.hash(postalHashInput(identity)) };
}
