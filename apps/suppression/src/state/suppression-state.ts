import type { ConsentSubjectV1, ContactPointHashV1, CustomerKind, LedgerChannel, SuppressionEntryReason } from '@kielto/contracts';
import type { LedgerEntryView, SubjectFacts, SuppressionEntryView } from '../decision/decision.types';

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
  kind: 'email' | 'phone';
  reason: SuppressionEntryReason;
  channel: LedgerChannel;
}

export interface BanRecord {
  customerId: string;
  sequence: number;
  fullSince?: number;
}

const EMPTY: readonly never[] = Object.freeze([]);

/**
 * The in-memory index every check reads. It is a projection of the three source topics plus staff entries,
 * keyed by customer id and by the keyed hash of each identifier, and it applies events idempotently:
 * a customer or ban event only if newer than what is held, a ledger entry once per (subject, sequence).
 */
export class SuppressionState {
  readonly customers = new Map<string, CustomerRecord>();
  /** identifier hash → owning customer id */
  private readonly owners = new Map<string, string>();
  /** subject key (`customer:<id>`, `email:<hash>`, `phone:<hash>`) → its ledger entries */
  private readonly ledger = new Map<string, StoredLedgerEntry[]>();
  /** subject key → entries below this sequence were erased */
  private readonly ledgerFloor = new Map<string, number>();
  /** identifier hash → erased at (R8) */
  private readonly erased = new Map<string, number>();
  private readonly staffEntries = new Map<string, StaffEntry[]>();
  private readonly staffById = new Map<string, StaffEntry>();
  private readonly bans = new Map<string, BanRecord>();

  get identifierCount(): number {
    return this.owners.size + this.erased.size + this.staffEntries.size;
  }

  get ledgerSubjectCount(): number {
    return this.ledger.size;
  }

  // ---- applying facts (idempotent) ----

  /** Returns false when the record is not newer than what is held. */
  applyCustomer(record: CustomerRecord): boolean {
    const current = this.customers.get(record.customerId);
    if (current && current.sequence >= record.sequence) return false;
    if (current) for (const cp of current.contactPoints) if (this.owners.get(cp.hash) === current.customerId) this.owners.delete(cp.hash);
    this.customers.set(record.customerId, record);
    if (record.erasedAt !== undefined) {
      for (const cp of record.contactPoints) this.erased.set(cp.hash, Math.min(this.erased.get(cp.hash) ?? Infinity, record.erasedAt));
    } else {
      for (const cp of record.contactPoints) this.owners.set(cp.hash, record.customerId);
    }
    return true;
  }

  markErased(hash: string, at: number): void {
    this.erased.set(hash, Math.min(this.erased.get(hash) ?? Infinity, at));
  }

  /** Returns false for a duplicate (same subject and sequence) or an entry below the erasure floor. */
  applyLedgerEntry(entry: StoredLedgerEntry): boolean {
    if (entry.sequence < (this.ledgerFloor.get(entry.subjectKey) ?? 0)) return false;
    const list = this.ledger.get(entry.subjectKey);
    if (!list) {
      this.ledger.set(entry.subjectKey, [entry]);
      return true;
    }
    if (list.some((e) => e.sequence === entry.sequence)) return false;
    list.push(entry);
    return true;
  }

  eraseLedger(subjectKey: string, belowSequence: number): void {
    this.ledgerFloor.set(subjectKey, Math.max(this.ledgerFloor.get(subjectKey) ?? 0, belowSequence));
    const kept = (this.ledger.get(subjectKey) ?? []).filter((e) => e.sequence >= belowSequence);
    if (kept.length > 0) this.ledger.set(subjectKey, kept);
    else this.ledger.delete(subjectKey);
  }

  applyBan(ban: BanRecord): boolean {
    const current = this.bans.get(ban.customerId);
    if (current && current.sequence >= ban.sequence) return false;
    this.bans.set(ban.customerId, ban);
    return true;
  }

  addStaffEntry(entry: StaffEntry): boolean {
    if (this.staffById.has(entry.id)) return false;
    this.staffById.set(entry.id, entry);
    const list = this.staffEntries.get(entry.hash);
    if (list) list.push(entry);
    else this.staffEntries.set(entry.hash, [entry]);
    return true;
  }

  removeStaffEntry(id: string): StaffEntry | undefined {
    const entry = this.staffById.get(id);
    if (!entry) return undefined;
    this.staffById.delete(id);
    const rest = (this.staffEntries.get(entry.hash) ?? []).filter((e) => e.id !== id);
    if (rest.length > 0) this.staffEntries.set(entry.hash, rest);
    else this.staffEntries.delete(entry.hash);
    return entry;
  }

  staffEntry(id: string): StaffEntry | undefined {
    return this.staffById.get(id);
  }

  staffEntriesOf(hash: string): readonly StaffEntry[] {
    return this.staffEntries.get(hash) ?? EMPTY;
  }

  ownerOf(hash: string): CustomerRecord | undefined {
    const id = this.owners.get(hash);
    return id === undefined ? undefined : this.customers.get(id);
  }

  // ---- gathering facts for a decision ----

  /** Facts about an identifier (by its keyed hash): through its customer if it has one, else on its own. */
  factsForIdentifier(kind: 'email' | 'phone', hash: string): SubjectFacts {
    const erasedSince = this.erased.get(hash);
    const customer = this.ownerOf(hash);
    if (customer && customer.erasedAt === undefined) {
      const own = customer.contactPoints.find((cp) => cp.hash === hash);
      return this.customerFacts(customer, own?.owner === 'own', erasedSince, hash);
    }
    return {
      erasedSince,
      ledger: this.ledger.get(`${kind}:${hash}`) ?? EMPTY,
      suppressionEntries: this.staffEntries.get(hash) ?? EMPTY,
    };
  }

  /** Facts about a customer by id; undefined when the id is unknown. */
  factsForCustomer(customerId: string): SubjectFacts | undefined {
    const customer = this.customers.get(customerId);
    if (!customer) return undefined;
    if (customer.erasedAt !== undefined) return { erasedSince: customer.erasedAt, ledger: EMPTY, suppressionEntries: EMPTY };
    return this.customerFacts(customer, true, undefined, undefined);
  }

  /**
   * Ledger entries apply to the customer whichever identifier they were recorded against. Staff entries
   * (bounce, complaint, robinson, manual) belong to one address or number: a check of an identifier sees
   * only its own, a check by customer id sees all of them.
   */
  private customerFacts(customer: CustomerRecord, ownContact: boolean, erasedSince: number | undefined, onlyHash: string | undefined): SubjectFacts {
    const ledger: LedgerEntryView[] = [...(this.ledger.get(`customer:${customer.customerId}`) ?? EMPTY)];
    const suppressionEntries: SuppressionEntryView[] = [];
    for (const cp of customer.contactPoints) {
      const entries = this.ledger.get(`${cp.kind}:${cp.hash}`);
      if (entries) for (const e of entries) ledger.push(e);
      const staff = onlyHash === undefined || onlyHash === cp.hash ? this.staffEntries.get(cp.hash) : undefined;
      if (staff) for (const e of staff) suppressionEntries.push(e);
    }
    const ban = this.bans.get(customer.customerId);
    return {
      customer: {
        restrictedSince: customer.restrictedSince,
        organisationRoleContact: customer.kind === 'organization' && ownContact,
        since: customer.since,
      },
      erasedSince,
      ledger,
      suppressionEntries,
      fullDirectoryBanSince: ban?.fullSince,
    };
  }

  /** The identifier hashes whose answers a change to this subject can alter (for the partner feed). */
  affectedHashes(subject: ConsentSubjectV1): string[] {
    if (subject.type !== 'customer') return [subject.key];
    return this.customers.get(subject.key)?.contactPoints.map((cp) => cp.hash) ?? [];
  }
}
