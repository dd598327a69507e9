import { createHash } from 'node:crypto';
import type {
  ConsentSubjectV1,
  ContactPointHashV1,
  CustomerKind,
  LedgerChannel,
  SuppressionEntryReason,
} from '@kielto/contracts';
import type { LedgerEntryView, SubjectFacts, SuppressionEntryView } from '../decision/decision.types';

export type IdentifierKind = 'email' | 'phone';

/** What suppression keeps of a customer: keyed hashes and flags, never clear personal data. */
export interface CustomerRecord {
  customerId: string;
  sequence: number;
  kind: CustomerKind;
  since: number;
  restrictedSince?: number;
  erasedAt?: number;
  contactPoints: ContactPointHashV1[];
}

export interface StoredLedgerEntry extends LedgerEntryView {
  subjectKey: string;
}

export interface StaffEntry extends SuppressionEntryView {
  id: string;
  hash: string;
  kind: IdentifierKind;
  reason: SuppressionEntryReason;
  channel: LedgerChannel;
}

export interface BanRecord {
  customerId: string;
  sequence: number;
  fullSince?: number;
}

/** Identifier hash → its kind: what a change may have altered (for the partner feed). */
export type AffectedIdentifiers = Map<string, IdentifierKind>;

export interface StateDigest {
  /** SHA-256 hex over a canonical, sorted serialisation of everything decisions depend on. */
  sha256: string;
  counts: {
    customers: number;
    erasedCustomers: number;
    identifiers: number;
    ledgerSubjects: number;
    ledgerEntries: number;
    erasedIdentifiers: number;
    directoryBans: number;
    staffEntries: number;
    removedStaffEntries: number;
  };
}

/**
 * One fact of the state, as `exportFacts` yields it and the apply methods take it: applying every fact a state
 * exports, in any order, to an empty state gives an equal state (same `digest()`). Snapshots are built on this.
 */
export type StateFact =
  | { type: 'customer'; record: CustomerRecord }
  | { type: 'ledger'; entry: StoredLedgerEntry }
  | { type: 'floor'; subjectKey: string; below: number }
  | { type: 'erased'; hash: string; at: number }
  | { type: 'ban'; ban: BanRecord }
  | { type: 'staff'; entry: StaffEntry }
  | { type: 'removed'; id: string; at: number };

const EMPTY: readonly never[] = Object.freeze([]);

/**
 * The few words stored in every entry (channel, purpose, decision, kind, owner): values read from the database
 * or an event are fresh strings each time, so they are swapped for one shared copy — on a million identifiers
 * that is ~100 bytes each. Unknown values are kept as they are.
 */
const VOCABULARY = new Map<string, string>(
  [
    ...['email', 'sms', 'phone', 'post', 'all'],
    ...['own-marketing', 'partner-marketing', 'profiling', 'market-research'],
    ...['grant', 'withdraw', 'prohibit', 'lift-prohibition'],
    ...['own', 'contact-person', 'person', 'organization'],
    ...['bounce', 'complaint', 'robinson', 'manual'],
  ].map((word) => [word, word]),
);
const word = <T extends string>(value: T): T => (VOCABULARY.get(value) as T | undefined) ?? value;

/**
 * The in-memory index every check reads. It is a projection of the three source topics plus staff entries,
 * keyed by customer id and by the keyed hash of each identifier, and it applies events idempotently:
 * a customer or ban event only if newer than what is held, a ledger entry once per (subject, sequence),
 * a staff entry once per id (and never again after its removal).
 *
 * The result does not depend on the order in which events of *different* aggregates arrive (partitions are
 * consumed in any interleaving), so a rebuild from the topics equals the live state: see `digest()`.
 */
export class SuppressionState {
  private readonly customers = new Map<string, CustomerRecord>();
  /**
   * identifier hash → owning (not erased) customer id, or the sorted ids when several customers share the
   * identifier (e.g. a family address): then the facts of all of them apply.
   */
  private readonly owners = new Map<string, string | string[]>();
  /** subject key (`customer:<id>`, `email:<hash>`, `phone:<hash>`) → its ledger entries */
  private readonly ledger = new Map<string, LedgerEntryView[]>();
  /** subject key → entries below this sequence were erased */
  private readonly ledgerFloor = new Map<string, number>();
  /** identifier hash → erased at (R8) */
  private readonly erased = new Map<string, number>();
  private readonly staffEntries = new Map<string, StaffEntry[]>();
  private readonly staffById = new Map<string, StaffEntry>();
  /** entry id → removed at: a removal is final, so a late redelivery of the addition cannot resurrect it. */
  private readonly removedStaff = new Map<string, number>();
  private readonly bans = new Map<string, BanRecord>();
  private ledgerEntries = 0;
  /** ledger subjects that are bare identifiers (`email:…`, `phone:…`) */
  private identifierLedgers = 0;

  /** Identifier hashes held (of customers, erased, with staff entries, or with a ledger of their own; overlaps count twice). */
  get identifierCount(): number {
    return this.owners.size + this.erased.size + this.staffEntries.size + this.identifierLedgers;
  }

  get customerCount(): number {
    return this.customers.size;
  }

  get ledgerSubjectCount(): number {
    return this.ledger.size;
  }

  get ledgerEntryCount(): number {
    return this.ledgerEntries;
  }

  get staffEntryCount(): number {
    return this.staffById.size;
  }

  // ---- applying facts (idempotent) ----

  /** Returns false when the record is not newer than what is held. */
  applyCustomer(input: CustomerRecord): boolean {
    const current = this.customers.get(input.customerId);
    if (current && current.sequence >= input.sequence) return false;
    const record: CustomerRecord = {
      customerId: input.customerId,
      sequence: input.sequence,
      kind: word(input.kind),
      since: input.since,
      restrictedSince: input.restrictedSince,
      erasedAt: input.erasedAt,
      contactPoints: input.contactPoints.map((cp) => ({ kind: word(cp.kind), hash: cp.hash, owner: word(cp.owner) })),
    };
    if (current) for (const cp of current.contactPoints) this.removeOwner(cp.hash, current.customerId);
    this.customers.set(record.customerId, record);
    if (record.erasedAt !== undefined) {
      for (const cp of record.contactPoints) this.markErased(cp.hash, record.erasedAt);
    } else {
      for (const cp of record.contactPoints) this.addOwner(cp.hash, record.customerId);
    }
    return true;
  }

  private addOwner(hash: string, customerId: string): void {
    const current = this.owners.get(hash);
    if (current === undefined || current === customerId) this.owners.set(hash, customerId);
    else if (typeof current === 'string') this.owners.set(hash, [current, customerId].sort());
    else if (!current.includes(customerId)) this.owners.set(hash, [...current, customerId].sort());
  }

  private removeOwner(hash: string, customerId: string): void {
    const current = this.owners.get(hash);
    if (current === customerId) this.owners.delete(hash);
    else if (Array.isArray(current) && current.includes(customerId)) {
      const rest = current.filter((id) => id !== customerId);
      this.owners.set(hash, rest.length === 1 ? rest[0] : rest);
    }
  }

  markErased(hash: string, at: number): void {
    this.erased.set(hash, Math.min(this.erased.get(hash) ?? Infinity, at));
  }

  /** Returns false for a duplicate (same subject and sequence) or an entry below the erasure floor. */
  applyLedgerEntry(input: StoredLedgerEntry): boolean {
    if (input.sequence < (this.ledgerFloor.get(input.subjectKey) ?? 0)) return false;
    // The subject key is the map key: entries do not carry it again.
    const entry: LedgerEntryView = {
      channel: word(input.channel),
      purpose: word(input.purpose),
      decision: word(input.decision),
      at: input.at,
      sequence: input.sequence,
      expiresAt: input.expiresAt,
    };
    const list = this.ledger.get(input.subjectKey);
    if (!list) {
      this.ledger.set(input.subjectKey, [entry]);
      if (!input.subjectKey.startsWith('customer:')) this.identifierLedgers++;
      this.ledgerEntries++;
      return true;
    }
    if (list.some((e) => e.sequence === entry.sequence)) return false;
    list.push(entry);
    this.ledgerEntries++;
    return true;
  }

  /** True when a ledger entry was erased with its subject's ledger (or is already held): nothing to store. */
  isLedgerEntryKnownOrErased(subjectKey: string, sequence: number): boolean {
    if (sequence < (this.ledgerFloor.get(subjectKey) ?? 0)) return true;
    return this.ledger.get(subjectKey)?.some((e) => e.sequence === sequence) ?? false;
  }

  eraseLedger(subjectKey: string, belowSequence: number): void {
    this.ledgerFloor.set(subjectKey, Math.max(this.ledgerFloor.get(subjectKey) ?? 0, belowSequence));
    const list = this.ledger.get(subjectKey) ?? [];
    const kept = list.filter((e) => e.sequence >= belowSequence);
    this.ledgerEntries -= list.length - kept.length;
    if (kept.length > 0) this.ledger.set(subjectKey, kept);
    else if (this.ledger.delete(subjectKey) && !subjectKey.startsWith('customer:')) this.identifierLedgers--;
  }

  applyBan(ban: BanRecord): boolean {
    const current = this.bans.get(ban.customerId);
    if (current && current.sequence >= ban.sequence) return false;
    this.bans.set(ban.customerId, ban);
    return true;
  }

  banSequence(customerId: string): number | undefined {
    return this.bans.get(customerId)?.sequence;
  }

  /** Returns false for a duplicate or an entry that was already removed. */
  addStaffEntry(input: StaffEntry): boolean {
    if (this.staffById.has(input.id) || this.removedStaff.has(input.id)) return false;
    const entry: StaffEntry = {
      id: input.id,
      hash: input.hash,
      kind: word(input.kind),
      reason: word(input.reason),
      channel: word(input.channel),
      since: input.since,
    };
    this.staffById.set(entry.id, entry);
    const list = this.staffEntries.get(entry.hash);
    if (list) list.push(entry);
    else this.staffEntries.set(entry.hash, [entry]);
    return true;
  }

  /** Removes an entry for good; returns the entry when it was held. */
  removeStaffEntry(id: string, at: number): StaffEntry | undefined {
    this.removedStaff.set(id, Math.min(this.removedStaff.get(id) ?? Infinity, at));
    const entry = this.staffById.get(id);
    if (!entry) return undefined;
    this.staffById.delete(id);
    const rest = (this.staffEntries.get(entry.hash) ?? []).filter((e) => e.id !== id);
    if (rest.length > 0) this.staffEntries.set(entry.hash, rest);
    else this.staffEntries.delete(entry.hash);
    return entry;
  }

  isStaffEntryRemoved(id: string): boolean {
    return this.removedStaff.has(id);
  }

  staffEntry(id: string): StaffEntry | undefined {
    return this.staffById.get(id);
  }

  staffEntriesOf(hash: string): readonly StaffEntry[] {
    return this.staffEntries.get(hash) ?? EMPTY;
  }

  /** The first owning customer of an identifier (tests and diagnostics). */
  ownerOf(hash: string): CustomerRecord | undefined {
    const id = this.owners.get(hash);
    if (id === undefined) return undefined;
    return this.customers.get(typeof id === 'string' ? id : id[0]);
  }

  // ---- gathering facts for a decision ----

  /** Facts about an identifier (by its keyed hash): through its customer(s) if it has any, else on its own. */
  factsForIdentifier(kind: IdentifierKind, hash: string): SubjectFacts {
    const erasedSince = this.erased.get(hash);
    const owner = this.owners.get(hash);
    if (owner === undefined) {
      return {
        erasedSince,
        ledger: this.ledger.get(`${kind}:${hash}`) ?? EMPTY,
        suppressionEntries: this.staffEntries.get(hash) ?? EMPTY,
      };
    }
    if (typeof owner === 'string') return this.customerFacts(this.customers.get(owner)!, hash, erasedSince);
    return this.sharedIdentifierFacts(owner, hash, erasedSince);
  }

  /** Facts about a customer by id; undefined when the id is unknown. */
  factsForCustomer(customerId: string): SubjectFacts | undefined {
    const customer = this.customers.get(customerId);
    if (!customer) return undefined;
    if (customer.erasedAt !== undefined) {
      return { erasedSince: customer.erasedAt, ledger: EMPTY, suppressionEntries: EMPTY };
    }
    return this.customerFacts(customer, undefined, undefined);
  }

  /**
   * Ledger entries apply to the customer whichever identifier they were recorded against. Staff entries
   * (bounce, complaint, robinson, manual) belong to one address or number: a check of an identifier sees
   * only its own, a check by customer id sees all of them.
   */
  private customerFacts(
    customer: CustomerRecord,
    onlyHash: string | undefined,
    erasedSince: number | undefined,
  ): SubjectFacts {
    const ledger: LedgerEntryView[] = [];
    const suppressionEntries: SuppressionEntryView[] = [];
    this.gather(customer, onlyHash, ledger, suppressionEntries);
    const ownContact =
      onlyHash === undefined || customer.contactPoints.some((cp) => cp.hash === onlyHash && cp.owner === 'own');
    return {
      customer: {
        restrictedSince: customer.restrictedSince,
        organisationRoleContact: customer.kind === 'organization' && ownContact,
        since: customer.since,
      },
      erasedSince,
      ledger,
      suppressionEntries,
      fullDirectoryBanSince: this.bans.get(customer.customerId)?.fullSince,
    };
  }

  /**
   * An identifier shared by several customers: everything any of them said applies (their ledgers are
   * merged, latest entry wins as usual), any restriction or full directory ban applies, and it is an
   * organisation's role address only if it is that for every one of them. Errs towards suppressing.
   */
  private sharedIdentifierFacts(customerIds: string[], hash: string, erasedSince: number | undefined): SubjectFacts {
    const ledger: LedgerEntryView[] = [];
    const suppressionEntries: SuppressionEntryView[] = [...(this.staffEntries.get(hash) ?? EMPTY)];
    let restrictedSince: number | undefined;
    let fullDirectoryBanSince: number | undefined;
    let organisationRoleContact = true;
    let since = Infinity;
    for (const id of customerIds) {
      const customer = this.customers.get(id)!;
      this.gather(customer, null, ledger, suppressionEntries);
      if (customer.restrictedSince !== undefined)
        restrictedSince = Math.min(restrictedSince ?? Infinity, customer.restrictedSince);
      const ban = this.bans.get(id)?.fullSince;
      if (ban !== undefined) fullDirectoryBanSince = Math.min(fullDirectoryBanSince ?? Infinity, ban);
      const own = customer.contactPoints.some((cp) => cp.hash === hash && cp.owner === 'own');
      organisationRoleContact &&= customer.kind === 'organization' && own;
      since = Math.min(since, customer.since);
    }
    return {
      customer: { restrictedSince, organisationRoleContact, since },
      erasedSince,
      ledger,
      suppressionEntries,
      fullDirectoryBanSince,
    };
  }

  /** Adds a customer's ledger entries, and its staff entries (all when onlyHash is undefined; none when null). */
  private gather(
    customer: CustomerRecord,
    onlyHash: string | null | undefined,
    ledger: LedgerEntryView[],
    staff: SuppressionEntryView[],
  ): void {
    const own = this.ledger.get(`customer:${customer.customerId}`);
    if (own) for (const e of own) ledger.push(e);
    for (const cp of customer.contactPoints) {
      const entries = this.ledger.get(`${cp.kind}:${cp.hash}`);
      if (entries) for (const e of entries) ledger.push(e);
      if (onlyHash === undefined || onlyHash === cp.hash) {
        const list = this.staffEntries.get(cp.hash);
        if (list) for (const e of list) staff.push(e);
      }
    }
  }

  /** The sequence of the customer's newest state held, if any. */
  customerSequence(customerId: string): number | undefined {
    return this.customers.get(customerId)?.sequence;
  }

  /** The keyed hashes of a customer's contact points, as held now. */
  customerHashes(customerId: string): string[] {
    return (this.customers.get(customerId)?.contactPoints ?? EMPTY).map((cp) => cp.hash);
  }

  /** Applies one exported fact (see `StateFact`). */
  applyFact(fact: StateFact): void {
    switch (fact.type) {
      case 'customer':
        this.applyCustomer(fact.record);
        return;
      case 'ledger':
        this.applyLedgerEntry(fact.entry);
        return;
      case 'floor':
        this.eraseLedger(fact.subjectKey, fact.below);
        return;
      case 'erased':
        this.markErased(fact.hash, fact.at);
        return;
      case 'ban':
        this.applyBan(fact.ban);
        return;
      case 'staff':
        this.addStaffEntry(fact.entry);
        return;
      case 'removed':
        this.removeStaffEntry(fact.id, fact.at);
        return;
    }
  }

  /**
   * Everything the state holds, as facts: markers first (floors, erasures, removals), then customers, ledger
   * entries, bans and staff entries. Lazily, so a snapshot of a million identifiers is never copied whole.
   */
  *exportFacts(): Generator<StateFact> {
    for (const [subjectKey, below] of this.ledgerFloor) yield { type: 'floor', subjectKey, below };
    for (const [hash, at] of this.erased) yield { type: 'erased', hash, at };
    for (const [id, at] of this.removedStaff) yield { type: 'removed', id, at };
    for (const record of this.customers.values()) yield { type: 'customer', record };
    for (const [subjectKey, entries] of this.ledger) {
      for (const e of entries) yield { type: 'ledger', entry: { subjectKey, ...e } };
    }
    for (const ban of this.bans.values()) yield { type: 'ban', ban };
    for (const entry of this.staffById.values()) yield { type: 'staff', entry };
  }

  // ---- what a change affects (partner feed) ----

  /** Every identifier of a customer (as held now), with its kind. */
  addCustomerIdentifiers(customerId: string, into: AffectedIdentifiers): void {
    for (const cp of this.customers.get(customerId)?.contactPoints ?? EMPTY) into.set(cp.hash, cp.kind);
  }

  /**
   * The identifiers whose answers a change to this ledger subject can alter: a customer's identifiers, or a
   * bare identifier plus, when it belongs to customers, all their identifiers (its entries apply to them).
   */
  addSubjectIdentifiers(subject: ConsentSubjectV1, into: AffectedIdentifiers): void {
    if (subject.type === 'customer') {
      this.addCustomerIdentifiers(subject.key, into);
      return;
    }
    into.set(subject.key, subject.type);
    const owner = this.owners.get(subject.key);
    if (owner === undefined) return;
    for (const id of typeof owner === 'string' ? [owner] : owner) this.addCustomerIdentifiers(id, into);
  }

  // ---- comparing instances ----

  /**
   * A deterministic digest of everything decisions depend on: two instances (or a live store and one rebuilt
   * from the topics) hold the same state exactly when their digests are equal.
   */
  digest(): StateDigest {
    const hash = createHash('sha256');
    const line = (value: unknown[]) => hash.update(JSON.stringify(value)).update('\n');
    const sorted = <V>(map: Map<string, V>) => [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

    let erasedCustomers = 0;
    hash.update('customers\n');
    for (const [id, c] of sorted(this.customers)) {
      if (c.erasedAt !== undefined) erasedCustomers++;
      const points = c.contactPoints.map((cp) => `${cp.kind}:${cp.hash}:${cp.owner}`).sort();
      line([id, c.sequence, c.kind, c.since, c.restrictedSince ?? null, c.erasedAt ?? null, points]);
    }
    hash.update('ledger\n');
    for (const [key, entries] of sorted(this.ledger)) {
      const list = [...entries].sort((a, b) => a.sequence - b.sequence);
      line([key, list.map((e) => [e.sequence, e.channel, e.purpose, e.decision, e.at, e.expiresAt ?? null])]);
    }
    hash.update('floors\n');
    for (const [key, floor] of sorted(this.ledgerFloor)) line([key, floor]);
    hash.update('erased\n');
    for (const [h, at] of sorted(this.erased)) line([h, at]);
    hash.update('bans\n');
    for (const [id, b] of sorted(this.bans)) line([id, b.sequence, b.fullSince ?? null]);
    hash.update('staff\n');
    for (const [id, e] of sorted(this.staffById)) line([id, e.hash, e.kind, e.reason, e.channel, e.since]);
    hash.update('removed\n');
    for (const [id, at] of sorted(this.removedStaff)) line([id, at]);

    return {
      sha256: hash.digest('hex'),
      counts: {
        customers: this.customers.size,
        erasedCustomers,
        identifiers: this.identifierCount,
        ledgerSubjects: this.ledger.size,
        ledgerEntries: this.ledgerEntries,
        erasedIdentifiers: this.erased.size,
        directoryBans: this.bans.size,
        staffEntries: this.staffById.size,
        removedStaffEntries: this.removedStaff.size,
      },
    };
  }
}
