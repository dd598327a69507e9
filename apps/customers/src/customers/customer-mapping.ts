import { ContactPointHashV1, CustomerStateV1 } from '@kielto/contracts';
import type { IdentifierHasher } from '@kielto/platform';
import type { Address, ContactPerson, CustomerRecord, Rectification, RestrictionAction } from './customer-record';

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
  restricted: boolean;
  restriction?: { since: string; reason: string };
  restrictionHistory: RestrictionAction[];
  rectifications: Rectification[];
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
    ...(record.address ? { address: record.address } : {}),
    contactPersons: record.contactPersons,
    activeContract: record.activeContract,
    restricted: record.restriction !== undefined,
    ...(record.restriction
      ? { restriction: { since: record.restriction.since, reason: record.restriction.reason } }
      : {}),
    restrictionHistory: record.restrictionHistory ?? [],
    rectifications: record.rectifications,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    version,
  };
}

/** Every identifier of the customer as a keyed hash: own ones, then the contact persons'. */
export function contactPointsOf(record: CustomerRecord, hasher: IdentifierHasher): ContactPointHashV1[] {
  const points: ContactPointHashV1[] = [];
  const seen = new Set<string>();
  const add = (kind: 'email' | 'phone', value: string | undefined, owner: ContactPointHashV1['owner']) => {
    if (!value) return;
    const hash = hasher.hash(value);
    if (seen.has(`${kind}:${hash}`)) return;
    seen.add(`${kind}:${hash}`);
    points.push({ kind, hash, owner });
  };
  for (const email of record.emails) add('email', email, 'own');
  for (const phone of record.phones) add('phone', phone, 'own');
  for (const person of record.contactPersons) {
    add('email', person.email, 'contact-person');
    add('phone', person.phone, 'contact-person');
  }
  return points;
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
    contactPoints: contactPointsOf(record, hasher),
    listing: {
      name: record.name,
      ...(record.phones[0] ? { phone: record.phones[0] } : {}),
      ...(record.address ? { address: { ...record.address } } : {}),
    },
    ...(record.restriction ? { restrictedSince: record.restriction.since } : {}),
    since: record.createdAt,
  };
}
