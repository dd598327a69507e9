import type { CustomerRecord, FormerIdentifier, HeldIdentifier } from './customer-record';

/** HMAC of a normalised identifier (IdentifierHasher.hash): holdings are kept as keyed hashes only. */
export type HashIdentifier = (normalisedIdentifier: string) => string;

/** An identifier and its holder, without the holding time. */
export type Identifier = Omit<HeldIdentifier, 'from'>;

export interface Holdings {
  holdings: HeldIdentifier[];
  formerContactPoints: FormerIdentifier[];
}

/**
 * Every identifier the customer holds as keyed hashes: own e-mails, own phones, then each contact person's e-mail
 * and phone. One per holder: an address the organisation and a contact person both use is two holdings, since
 * each has its own refusals (R3) and its own holding time.
 */
export function identifiersOf(
  record: Pick<CustomerRecord, 'emails' | 'phones' | 'contactPersons'>,
  hash: HashIdentifier,
): Identifier[] {
  const out: Identifier[] = [];
  for (const email of record.emails) out.push({ kind: 'email', hash: hash(email), owner: 'own' });
  for (const phone of record.phones) out.push({ kind: 'phone', hash: hash(phone), owner: 'own' });
  for (const person of record.contactPersons) {
    if (person.email) out.push({ kind: 'email', hash: hash(person.email), owner: 'contact-person', person: person.id });
    if (person.phone) out.push({ kind: 'phone', hash: hash(person.phone), owner: 'contact-person', person: person.id });
  }
  return out;
}

/** Same identifier held by the same holder. */
export const holdingKey = (i: Identifier): string => `${i.owner}:${i.person ?? ''}:${i.kind}:${i.hash}`;

/**
 * The holdings after a change (contract v1.1 §3 "Who an entry binds"): an identifier still held by the same holder
 * keeps its `from`; a new one is held from `now`; one no longer held becomes a former contact point held until
 * `now`. An identifier that comes back after it left starts a new holding (its earlier period stays a former one),
 * so a grant recorded between the two periods never binds the customer.
 */
export function advanceHoldings(before: Holdings, held: readonly Identifier[], now: string): Holdings {
  const previous = new Map(before.holdings.map((h) => [holdingKey(h), h]));
  const holdings: HeldIdentifier[] = [];
  const kept = new Set<string>();
  for (const identifier of held) {
    const key = holdingKey(identifier);
    if (kept.has(key)) continue;
    kept.add(key);
    holdings.push({ ...identifier, from: previous.get(key)?.from ?? now });
  }
  const ended: FormerIdentifier[] = before.holdings
    .filter((h) => !kept.has(holdingKey(h)))
    .map((h) => ({ ...h, until: now }));
  return { holdings, formerContactPoints: [...before.formerContactPoints, ...ended] };
}

/**
 * The holdings of a record written before contract v1.1, which kept none: every identifier it holds is read as
 * held since the customer was created (what the contract tells consumers to assume for events without `from`).
 */
export function legacyHoldings(
  record: Pick<CustomerRecord, 'emails' | 'phones' | 'contactPersons' | 'createdAt'>,
  hash: HashIdentifier,
): Holdings {
  return advanceHoldings({ holdings: [], formerContactPoints: [] }, identifiersOf(record, hash), record.createdAt);
}
