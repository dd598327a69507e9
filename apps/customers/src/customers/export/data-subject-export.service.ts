import { HttpStatus, Injectable, Logger } from '@nestjs/common';
import { ProblemException } from '@kielto/platform';
import { CustomersEnv } from '../../customers.env';
import { CustomerExportRecord, CustomersService } from '../customers.service';

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

/**
 * Gathers the export. All or nothing: if a service does not answer in time the whole request is a 503 problem,
 * never a silently partial export.
 */
@Injectable()
export class DataSubjectExportService {
  private readonly logger = new Logger(DataSubjectExportService.name);

  constructor(
    private readonly customers: CustomersService,
    private readonly env: CustomersEnv,
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
      Promise.all(
        subjects.map((q) => this.get<ConsentLedger>('consents', `${this.env.CONSENTS_URL}/v1/consents?${q}`, false)),
      ),
      this.get(
        'directory-bans',
        `${this.env.DIRECTORY_BANS_URL}/v1/directory-bans/${encodeURIComponent(customerId)}`,
        true,
      ),
      this.get(
        'suppression',
        `${this.env.SUPPRESSION_URL}/v1/suppression/entries?customerId=${encodeURIComponent(customerId)}`,
        false,
      ),
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

  /** GET a JSON document from another service with the service key; null for a 404 where that means "none". */
  private async get<T = unknown>(service: string, url: string, notFoundIsNone: boolean): Promise<T | null> {
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { authorization: `Bearer ${this.env.KIELTO_SERVICE_KEY}`, accept: 'application/json' },
        signal: AbortSignal.timeout(this.env.KIELTO_EXPORT_TIMEOUT_MS),
      });
    } catch (error) {
      // The URL is logged without its query string: it may hold an e-mail address or phone number.
      this.logger.warn(
        { service, path: new URL(url).pathname, err: (error as Error).name },
        'export source unreachable',
      );
      throw unavailable(service);
    }
    if (notFoundIsNone && response.status === 404) {
      await response.body?.cancel();
      return null;
    }
    if (!response.ok) {
      await response.body?.cancel();
      this.logger.warn({ service, path: new URL(url).pathname, status: response.status }, 'export source failed');
      throw unavailable(service);
    }
    try {
      return (await response.json()) as T;
    } catch {
      throw unavailable(service);
    }
  }
}

function unavailable(service: string): ProblemException {
  return new ProblemException(
    HttpStatus.SERVICE_UNAVAILABLE,
    'export-source-unavailable',
    `The ${service} service did not answer; no partial export is given. Try again shortly`,
    undefined,
    { 'retry-after': '5' },
  );
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
