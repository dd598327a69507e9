import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Readable } from 'node:stream';
import { Model } from 'mongoose';
import { ConsentSubjectV1, importedCustomerId, importedEntryId, subjectKey } from '@kielto/contracts';
import {
  Actor,
  byId,
  FieldError,
  ImportBatchDoc,
  ImportBatches,
  ImportBatchResult,
  importRejected,
  ImportRowClaimDoc,
  insertNew,
  mapLimited,
  readImportRows,
  RepeatedRows,
  ProblemException,
} from '@kielto/platform';
import { ConsentsService, decisionOf, expiryErrors, NewDecision } from '../consents.service';
import { ImportConsentDto } from '../dto/import-consent.dto';

export const CONSENT_IMPORT_BATCHES = 'consent_import_batches';
/** Marks an imported entry as appended (written after its event): presence is read by `_id`, never by scanning. */
export const CONSENT_IMPORT_ENTRIES = 'consent_import_entries';
/** The imported entries' claims (ImportBatches.claim), by entry id. */
export const CONSENT_IMPORT_ROWS = 'consent_import_rows';
export const MAX_CONSENT_IMPORT_ROWS = 10_000;
const MAX_IMPORT_BYTES = 64 * 1024 * 1024;
const CONCURRENCY = 32;

export interface ImportedEntryDoc {
  _id: string;
}

interface Row {
  line: number;
  decision: NewDecision & { entryId: string; recordedAt: string };
  lane: string;
}

/**
 * Consent and prohibition history from a legacy register: each row is appended to its subject's ledger exactly as
 * `POST /v1/consents` appends it (same validation, evidence and event), with its original `recordedAt` and an id
 * derived from the entry itself, so importing it again finds it. A subject's rows are appended in time order.
 */
@Injectable()
export class ConsentImportService {
  private readonly batches: ImportBatches;

  constructor(
    private readonly consents: ConsentsService,
    @InjectModel(CONSENT_IMPORT_BATCHES) batches: Model<ImportBatchDoc>,
    @InjectModel(CONSENT_IMPORT_ENTRIES) private readonly entries: Model<ImportedEntryDoc>,
    @InjectModel(CONSENT_IMPORT_ROWS) claims: Model<ImportRowClaimDoc>,
  ) {
    this.batches = new ImportBatches(batches, claims);
  }

  async import(
    body: Readable,
    captured: { actor: Actor; requestId: string; defaultNoticeVersion: string; attempt?: string; dryRun?: boolean },
  ): Promise<ImportBatchResult> {
    const now = Date.now();
    // Each row's subject as its check found it: derived (a keyed hash, or the imported customer's id) once per row.
    const subjects = new Map<ImportConsentDto, ConsentSubjectV1>();
    const { rows: read, digest } = await readImportRows(
      body,
      ImportConsentDto,
      { maxRows: MAX_CONSENT_IMPORT_ROWS, maxBytes: MAX_IMPORT_BYTES },
      (value) => this.rowErrors(value, now, subjects),
    );
    const errors: FieldError[] = [];
    const entries = new RepeatedRows(errors, 'recordedAt', 'the entry');
    const rows: Row[] = read.map(({ line, value }) => {
      const subject = subjects.get(value)!;
      const recordedAt = new Date(value.recordedAt).toISOString();
      const decision = decisionOf(subject, value, {
        keyId: captured.actor.keyId,
        requestId: captured.requestId,
        defaultNoticeVersion: captured.defaultNoticeVersion,
      });
      // What the entry is, not how it was sent: the same decision of the same subject at the same time is one entry.
      const entryId = importedEntryId(
        'consent-entry',
        JSON.stringify([subjectKey(subject), value.channel, value.purpose, value.decision, recordedAt, value.source]),
      );
      entries.note(entryId, line);
      return { line, decision: { ...decision, recordedAt, entryId }, lane: subjectKey(subject) };
    });
    if (errors.length > 0) throw importRejected(errors);
    // Within a subject, oldest first: the ledger's sequence then follows time as single writes' does.
    rows.sort((a, b) => a.decision.recordedAt.localeCompare(b.decision.recordedAt) || a.line - b.line);
    const firstOfLane = new Set<Row>();
    const lanes = new Set<string>();
    for (const row of rows) if (!lanes.has(row.lane) && lanes.add(row.lane)) firstOfLane.add(row);

    return this.batches.run({
      digest,
      attempt: captured.attempt,
      dryRun: captured.dryRun,
      rows,
      concurrency: CONCURRENCY,
      // Imported entry ids derive from the entry; single writes draw random ones, so only imports write these.
      rowKey: (row) => row.decision.entryId,
      isPresent: async (row) => (await byId(this.entries, row.decision.entryId)) !== null,
      writeMany: async (absent, resumed) => {
        // An interrupted attempt may have appended an entry without its marker: the ledger decides (read once per
        // subject, only when resuming). Rows keep the batch's order, oldest first within a subject.
        const ledgers = new Map<string, Promise<Set<string>>>();
        const held = resumed
          ? await mapLimited(absent, CONCURRENCY, async (row) => {
              if (!ledgers.has(row.lane)) ledgers.set(row.lane, this.consents.entryIds(row.decision.subject));
              return (await ledgers.get(row.lane)!).has(row.decision.entryId);
            })
          : absent.map(() => false);
        const toRecord = absent.filter((_, i) => !held[i]);
        await Promise.all([
          this.consents.recordMany(
            toRecord.map((row) => ({ decision: row.decision, newSubject: !resumed && firstOfLane.has(row) })),
          ),
          mapLimited([...new Set(absent.filter((_, i) => held[i]).map((row) => row.lane))], CONCURRENCY, (lane) =>
            this.consents.ensurePublished(absent.find((row) => row.lane === lane)!.decision.subject),
          ),
        ]);
        await this.mark(absent.map((row) => row.decision.entryId));
      },
      confirm: (row) => this.consents.ensurePublished(row.decision.subject),
    });
  }

  /** Marks entries as appended (after their events): what `isPresent` reads. */
  private async mark(entryIds: readonly string[]): Promise<void> {
    await insertNew(
      this.entries,
      entryIds.map((_id) => ({ _id })),
    );
  }

  /** The subject and expiry rules of the single write, and that the history is not in the future. */
  private rowErrors(
    value: ImportConsentDto,
    now: number,
    subjects: Map<ImportConsentDto, ConsentSubjectV1>,
  ): FieldError[] {
    const errors: FieldError[] = [];
    if (value.customerRef !== undefined && (value.customerId ?? value.email ?? value.phone) !== undefined) {
      const message = 'exactly one of customerId, customerRef, email or phone is required';
      errors.push({ field: 'customerRef', message });
    } else {
      try {
        subjects.set(value, this.consents.subjectOf(subjectInput(value)));
      } catch (error) {
        if (!(error instanceof ProblemException)) throw error;
        errors.push(...(error.fieldErrors ?? []));
      }
    }
    const recordedAt = Date.parse(value.recordedAt);
    if (recordedAt > now) errors.push({ field: 'recordedAt', message: 'recordedAt must not be in the future' });
    errors.push(...expiryErrors(value.decision, value.expiresAt, recordedAt));
    return errors;
  }
}

/** The subject as the single write names it: `customerRef` stands for the imported customer's id. */
function subjectInput(value: ImportConsentDto): { customerId?: string; email?: string; phone?: string } {
  return value.customerRef === undefined ? value : { customerId: importedCustomerId(value.customerRef) };
}
