import { Injectable } from '@nestjs/common';
import { AuditRecord, BareIdentifier, IdentifierHasher, SubjectReadGatherer } from '@kielto/platform';
import { CustomerExportRecord, CustomersService } from '../customers.service';
import { DeskRepository } from '../../requests/desk.repository';
import { statusOf } from '../../requests/desk-rules';
import { PeerServices } from './peer-services';

interface LedgerEntry {
  entryId: string;
  recordedAt?: string;
  [field: string]: unknown;
}

/** A row of the consents service's `current`: one (channel, purpose) pair's state. Rows have no entry id. */
interface CurrentPermission {
  channel: string;
  purpose: string;
  [field: string]: unknown;
}

interface ConsentLedger {
  current: CurrentPermission[];
  history: LedgerEntry[];
}

/** The data subject's export (GDPR Art 15, 20): one machine-readable document from all four services. */
export interface DataSubjectExport {
  generatedAt: string;
  customer: CustomerExportRecord['customer'];
  /**
   * `current`: the state of every (channel, purpose) pair for the customer, the 16 rows exactly as the consents
   * service derives them for the customer id (which gathers every entry that binds the customer). `history`: every
   * ledger entry about the customer, asked by customer id and by each of their e-mails and phones.
   */
  consents: ConsentLedger;
  directoryBan: unknown;
  suppression: unknown;
  history: {
    events: CustomerExportRecord['events'];
    rectifications: CustomerExportRecord['customer']['rectifications'];
    restrictions: CustomerExportRecord['customer']['restrictionHistory'];
  };
}

/** What the services hold about a bare identifier (a prospect, a contact person, a name from a bought list). */
export interface IdentifierExport {
  generatedAt: string;
  identifier: BareIdentifier & {
    /** The subject key the services file it under: `email:<keyed hash>` or `phone:<keyed hash>`. */
    subject: string;
  };
  /**
   * Customers holding the identifier now: when there are any, `consents` is the ledger a check by the identifier
   * sees (the holder's, docs/CONTRACT.md §3.6) and their own export (GET /v1/customers/:id/export) holds the rest.
   */
  heldBy: { id: string; customerNumber: string }[];
  /** The consents service's answer for the identifier: `current` (16 rows) and every entry that binds it. */
  consents: ConsentLedger;
  /** Suppression entries (bounce, complaint, robinson, manual) of the identifier's keyed hash. */
  suppression: unknown;
  /** Requests on the desk that name the identifier, with their trails. */
  requests: unknown[];
  /** Who read this identifier's data and when, across the four services (GET /v1/audit?subject=), newest first. */
  reads: AuditRecord[];
}

/** How many reads of an identifier the export lists (the newest). */
export const EXPORT_READS_LIMIT = 1000;

/**
 * Gathers the exports of a customer and of a bare identifier. All or nothing: if a service does not answer in time
 * the whole request is a 503 problem, never a silently partial export (PeerServices).
 */
@Injectable()
export class DataSubjectExportService {
  constructor(
    private readonly customers: CustomersService,
    private readonly peers: PeerServices,
    private readonly desk: DeskRepository,
    private readonly reads: SubjectReadGatherer,
    private readonly hasher: IdentifierHasher,
  ) {}

  async export(customerId: string): Promise<DataSubjectExport> {
    const own = await this.customers.exportRecord(customerId);
    // The customer id first: its ledger's `current` is the customer's (see DataSubjectExport.consents).
    const subjects = [
      `customerId=${encodeURIComponent(own.customer.id)}`,
      ...own.customer.emails.map((e) => `email=${encodeURIComponent(e)}`),
      ...own.customer.phones.map((p) => `phone=${encodeURIComponent(p)}`),
    ];
    const [ledgers, directoryBan, suppression] = await Promise.all([
      Promise.all(subjects.map((q) => this.ledger(q))),
      this.peers.get('directory-bans', `/v1/directory-bans/${encodeURIComponent(customerId)}`, true),
      this.suppressionEntries(`customerId=${encodeURIComponent(customerId)}`),
    ]);
    return {
      generatedAt: new Date().toISOString(),
      customer: own.customer,
      consents: {
        current: ledgers[0]?.current ?? [],
        history: mergeHistories(ledgers.map((l) => l?.history ?? [])),
      },
      directoryBan,
      suppression,
      history: {
        events: own.events,
        rectifications: own.customer.rectifications,
        restrictions: own.customer.restrictionHistory,
      },
    };
  }

  /** The export of a bare identifier: its ledger, suppression entries, requests on the desk and reads. */
  async exportIdentifier(identifier: BareIdentifier): Promise<IdentifierExport> {
    const subject = `${identifier.kind}:${this.hasher.hash(identifier.value)}`;
    const query = `${identifier.kind}=${encodeURIComponent(identifier.value)}`;
    const [heldBy, ledger, suppression, requests, reads] = await Promise.all([
      this.customers.find({ [identifier.kind]: identifier.value }),
      this.ledger(query),
      this.suppressionEntries(query),
      this.desk.about(identifier).then((found) => found.map((r) => ({ ...r, status: statusOf(r) }))),
      this.reads.readsOf(subject, EXPORT_READS_LIMIT),
    ]);
    return {
      generatedAt: new Date().toISOString(),
      identifier: { ...identifier, subject },
      heldBy: heldBy.map((c) => ({ id: c.id, customerNumber: c.customerNumber })),
      consents: { current: ledger?.current ?? [], history: ledger?.history ?? [] },
      suppression,
      requests,
      reads,
    };
  }

  private ledger(query: string): Promise<ConsentLedger | null> {
    return this.peers.get<ConsentLedger>('consents', `/v1/consents?${query}`);
  }

  private suppressionEntries(query: string): Promise<unknown> {
    return this.peers.get('suppression', `/v1/suppression/entries?${query}`);
  }
}

/**
 * One history from the ledgers asked by each identifier: an entry seen through several of them appears once. Only
 * history entries carry an `entryId`; the per-pair `current` rows have none and must never be merged this way
 * (they would all collapse into one).
 */
function mergeHistories(lists: LedgerEntry[][]): LedgerEntry[] {
  const byId = new Map<string, LedgerEntry>();
  for (const list of lists) for (const entry of list) if (!byId.has(entry.entryId)) byId.set(entry.entryId, entry);
  // Entries about different identifiers interleave in time; the ledger is read oldest first.
  return [...byId.values()].sort((a, b) => (a.recordedAt ?? '').localeCompare(b.recordedAt ?? ''));
}
