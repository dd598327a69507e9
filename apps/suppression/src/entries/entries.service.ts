import { Injectable, OnModuleInit } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  importedEntryId,
  LEDGER_CHANNELS,
  LedgerChannel,
  normaliseEmail,
  normalisePhone,
  ownEvent,
  SUPPRESSION_ENTRIES_TOPIC,
  SUPPRESSION_ENTRY_EVENT_TYPES,
  SUPPRESSION_ENTRY_REASONS,
  SuppressionEntriesImportedV1,
  SuppressionEntryAddedV1,
  SuppressionEntryReason,
  SuppressionEntryRemovedV1,
  SuppressionEntryV1,
} from '@kielto/contracts';
import {
  Actor,
  EventLog,
  FieldError,
  fieldProblem,
  IdentifierHasher,
  ProblemException,
  readLines,
} from '@kielto/platform';
import { IdentifierKind, StaffEntry, SuppressionState } from '../engine';
import { SuppressionProjector } from '../projection/suppression-projector.service';

export interface EntryView {
  id: string;
  kind: IdentifierKind;
  reason: SuppressionEntryReason;
  channel: LedgerChannel;
  since: string;
  /** The identifier's keyed hash (the identifier itself is never stored). */
  hash: string;
}

export interface EntryInput {
  email?: unknown;
  phone?: unknown;
  channel?: unknown;
  reason?: unknown;
}

export interface ImportError {
  line: number;
  field: string;
  message: string;
}

export interface ImportResult {
  /** Entries this batch added: now, or by an earlier attempt of the same batch (a retry after a 503 or lost answer). */
  imported: number;
  /** Entries held before this batch first arrived, or repeated in it. */
  duplicates: number;
  errors: ImportError[];
  /** The import is all-or-nothing: every line is validated before anything is written. */
  atomic: true;
  note: string;
}

/** Import limits: a national Robinson extract fits; a runaway upload does not exhaust memory. */
export const MAX_IMPORT_LINES = 1_000_000;
export const MAX_IMPORT_BYTES = 128 * 1024 * 1024;
const MAX_IMPORT_ERRORS = 100;
/** Entries per imported event (each event must stay well under Kafka's 1 MB message limit). */
const IMPORT_CHUNK = 1000;
const ENTRY_KEYS = new Set(['email', 'phone', 'channel', 'reason']);
const EMAIL_ONLY_REASONS: ReadonlySet<string> = new Set(['bounce', 'complaint']);

interface ValidEntry {
  kind: IdentifierKind;
  hash: string;
  channel: LedgerChannel;
  reason: SuppressionEntryReason;
}

const toView = (e: StaffEntry): EntryView => ({
  id: e.id,
  kind: e.kind,
  reason: e.reason,
  channel: e.channel,
  since: new Date(e.since).toISOString(),
  hash: e.hash,
});

/**
 * Staff entries of the opt-out list (bounce, complaint, robinson, manual). They are written as events through
 * suppression's own event log to the internal topic `kielto.suppression-entries.v1`: applied here at once
 * (the event log's projector), and consumed by every suppression instance, so all instances answer alike and
 * a rebuild from Kafka restores them. Only the identifier's keyed hash is stored or published.
 */
@Injectable()
export class EntriesService implements OnModuleInit {
  constructor(
    private readonly eventLog: EventLog,
    private readonly hasher: IdentifierHasher,
    private readonly state: SuppressionState,
    private readonly projector: SuppressionProjector,
  ) {}

  onModuleInit(): void {
    this.eventLog.registerProjector(SUPPRESSION_ENTRIES_TOPIC, async (appended) => {
      const event = ownEvent(appended);
      if (event) await this.projector.project([event]);
    });
  }

  /** Validates one entry; adds field errors (named with `prefix`) and returns undefined when invalid. */
  validate(input: EntryInput, errors: { field: string; message: string }[], prefix = ''): ValidEntry | undefined {
    const before = errors.length;
    const field = (name: string) => prefix + name;
    for (const key in input) {
      if (!ENTRY_KEYS.has(key)) errors.push({ field: field(key), message: `property ${key} should not exist` });
    }
    const reason = input.reason;
    if (typeof reason !== 'string' || !(SUPPRESSION_ENTRY_REASONS as readonly string[]).includes(reason)) {
      errors.push({
        field: field('reason'),
        message: `reason must be one of the following values: ${SUPPRESSION_ENTRY_REASONS.join(', ')}`,
      });
    }
    const channel = input.channel;
    if (typeof channel !== 'string' || !(LEDGER_CHANNELS as readonly string[]).includes(channel)) {
      errors.push({
        field: field('channel'),
        message: `channel must be one of the following values: ${LEDGER_CHANNELS.join(', ')}`,
      });
    } else if (
      typeof reason === 'string' &&
      EMAIL_ONLY_REASONS.has(reason) &&
      channel !== 'email' &&
      channel !== 'all'
    ) {
      errors.push({
        field: field('channel'),
        message: `a ${reason} applies to e-mail only: channel must be email or all`,
      });
    }
    let kind: IdentifierKind | undefined;
    let normalised: string | null = null;
    if ((input.email === undefined) === (input.phone === undefined)) {
      errors.push({ field: field('email'), message: 'exactly one of email or phone is required' });
    } else if (input.email !== undefined) {
      kind = 'email';
      normalised = typeof input.email === 'string' ? normaliseEmail(input.email) : null;
      if (normalised === null) errors.push({ field: field('email'), message: 'email must be a valid e-mail address' });
    } else {
      kind = 'phone';
      normalised = typeof input.phone === 'string' ? normalisePhone(input.phone) : null;
      if (normalised === null) errors.push({ field: field('phone'), message: 'phone must be a valid phone number' });
      else if (typeof reason === 'string' && EMAIL_ONLY_REASONS.has(reason)) {
        errors.push({ field: field('phone'), message: `a ${reason} applies to e-mail addresses only` });
      }
    }
    if (errors.length !== before || kind === undefined || normalised === null) return undefined;
    return {
      kind,
      hash: this.hasher.hash(normalised),
      channel: channel as LedgerChannel,
      reason: reason as SuppressionEntryReason,
    };
  }

  /** An entry already held for the same identifier, reason and channel (adding it again changes nothing). */
  private existing(entry: ValidEntry): StaffEntry | undefined {
    return this.state.staffEntriesOf(entry.hash).find((e) => e.reason === entry.reason && e.channel === entry.channel);
  }

  /** Adds an entry; an identical one already held is returned instead of a duplicate. */
  async add(input: EntryInput, actor: Actor): Promise<EntryView> {
    const errors: FieldError[] = [];
    const entry = this.validate(input, errors);
    if (!entry)
      throw new ProblemException(
        400,
        'validation',
        `Invalid request: ${errors.map((e) => e.field).join(', ')}`,
        errors,
      );
    const held = this.existing(entry);
    if (held) return toView(held);
    const entryId = randomUUID();
    const data: SuppressionEntryAddedV1 = {
      entryId,
      kind: entry.kind,
      hash: entry.hash,
      reason: entry.reason,
      channel: entry.channel,
      since: new Date().toISOString(),
      createdBy: actor.keyId,
    };
    await this.eventLog.append({
      topic: SUPPRESSION_ENTRIES_TOPIC,
      aggregateId: entryId,
      newAggregate: true,
      type: SUPPRESSION_ENTRY_EVENT_TYPES.added,
      data,
    });
    const added = this.state.staffEntry(entryId);
    return added
      ? toView(added)
      : {
          id: entryId,
          kind: data.kind,
          reason: data.reason,
          channel: data.channel,
          since: data.since,
          hash: data.hash,
        };
  }

  /** Removes an entry for good (every instance, via the topic). */
  async remove(id: string, actor: Actor): Promise<void> {
    const entry = this.state.staffEntry(id);
    if (!entry) throw new ProblemException(404, 'not-found', 'No such suppression entry');
    const data: SuppressionEntryRemovedV1 = {
      entryId: id,
      removedAt: new Date().toISOString(),
      removedBy: actor.keyId,
      kind: entry.kind,
      hash: entry.hash,
    };
    await this.eventLog.append({
      topic: SUPPRESSION_ENTRIES_TOPIC,
      aggregateId: id,
      type: SUPPRESSION_ENTRY_EVENT_TYPES.removed,
      data,
    });
  }

  /** Entries of one identifier, or of every identifier of a customer. */
  list(query: { customerId?: unknown; email?: unknown; phone?: unknown }): EntryView[] {
    const given = (['customerId', 'email', 'phone'] as const).filter((k) => query[k] !== undefined);
    if (given.length !== 1) throw fieldProblem('customerId', 'exactly one of customerId, email or phone is required');
    const hashes: string[] = [];
    if (typeof query.customerId === 'string') {
      hashes.push(...this.state.customerHashes(query.customerId));
    } else if (typeof query.email === 'string') {
      const email = normaliseEmail(query.email);
      if (email === null) throw fieldProblem('email', 'email must be a valid e-mail address');
      hashes.push(this.hasher.hash(email));
    } else {
      const phone = typeof query.phone === 'string' ? normalisePhone(query.phone) : null;
      if (phone === null) throw fieldProblem('phone', 'phone must be a valid phone number');
      hashes.push(this.hasher.hash(phone));
    }
    return [...new Set(hashes)]
      .flatMap((h) => this.state.staffEntriesOf(h))
      .sort((a, b) => a.since - b.since || (a.id < b.id ? -1 : 1))
      .map(toView);
  }

  /**
   * Bulk NDJSON import, one `{email?|phone?, channel, reason}` per line. All-or-nothing: every line is read
   * and validated first; if any is invalid nothing is written and the errors name their lines. Entries
   * already held (or repeated in the file) count as duplicates and are not written again.
   */
  async import(body: Readable, actor: Actor, attempt?: string): Promise<{ status: number; result: ImportResult }> {
    const entries: ValidEntry[] = [];
    const errors: ImportError[] = [];
    const seen = new Set<string>();
    let repeated = 0;
    let lineNo = 0;
    const digest = createHash('sha256').update(`${attempt ?? ''}\n`);
    let lines = 0;
    const onLine = (line: string) => {
      lineNo++;
      if (line.trim().length === 0) return;
      digest.update(line).update('\n');
      if (++lines > MAX_IMPORT_LINES) {
        throw new ProblemException(413, 'too-many-lines', `At most ${MAX_IMPORT_LINES} lines per import`, [
          { field: 'body', message: `body must contain at most ${MAX_IMPORT_LINES} lines` },
        ]);
      }
      if (errors.length >= MAX_IMPORT_ERRORS) return;
      let raw: unknown;
      try {
        raw = JSON.parse(line);
      } catch {
        errors.push({ line: lineNo, field: `line ${lineNo}`, message: 'line is not valid JSON' });
        return;
      }
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
        errors.push({
          line: lineNo,
          field: `line ${lineNo}`,
          message: 'each line must be a JSON object {email|phone, channel, reason}',
        });
        return;
      }
      const fieldErrors: FieldError[] = [];
      const entry = this.validate(raw as EntryInput, fieldErrors);
      for (const e of fieldErrors) errors.push({ line: lineNo, field: e.field, message: e.message });
      if (!entry) return;
      const key = `${entry.hash}|${entry.reason}|${entry.channel}`;
      if (seen.has(key)) repeated++;
      else {
        seen.add(key);
        entries.push(entry);
      }
    };
    await readLines(body, onLine, MAX_IMPORT_BYTES);

    if (errors.length > 0) {
      return {
        status: 400,
        result: {
          imported: 0,
          duplicates: 0,
          errors,
          atomic: true,
          note: `Nothing was imported: the import is all-or-nothing and ${errors.length}${errors.length >= MAX_IMPORT_ERRORS ? '+' : ''} line errors were found`,
        },
      };
    }
    // The batch is named by its content: a retry of the same body (the CLI's, after a 503 while its events waited for
    // Kafka, or a lost answer) gets the same import and entry ids, so the entries its first attempt added are told
    // apart from those held before, and counted as imported rather than as duplicates.
    const batch = digest.digest('hex');
    const importId = importedEntryId('suppression-import', batch);
    const entryIdOf = (e: ValidEntry) =>
      importedEntryId('suppression-entry', `${batch}|${e.hash}|${e.reason}|${e.channel}`);
    let duplicates = repeated;
    let addedBefore = 0;
    const fresh: ValidEntry[] = [];
    for (const entry of entries) {
      const held = this.existing(entry);
      if (!held) fresh.push(entry);
      else if (held.id === entryIdOf(entry)) addedBefore++;
      else duplicates++;
    }
    const since = new Date().toISOString();
    for (let i = 0; i < fresh.length; i += IMPORT_CHUNK) {
      const chunk: SuppressionEntryV1[] = fresh.slice(i, i + IMPORT_CHUNK).map((e) => ({
        entryId: entryIdOf(e),
        kind: e.kind,
        hash: e.hash,
        reason: e.reason,
        channel: e.channel,
        since,
        createdBy: actor.keyId,
      }));
      const data: SuppressionEntriesImportedV1 = { importId, entries: chunk };
      await this.eventLog.append({
        topic: SUPPRESSION_ENTRIES_TOPIC,
        aggregateId: importId,
        newAggregate: i === 0 && addedBefore === 0,
        type: SUPPRESSION_ENTRY_EVENT_TYPES.imported,
        data,
      });
    }
    // What the earlier attempt added must be on Kafka before this answer acknowledges it.
    if (addedBefore > 0) await this.eventLog.ensurePublished(SUPPRESSION_ENTRIES_TOPIC, importId);
    return {
      status: 201,
      result: {
        imported: fresh.length + addedBefore,
        duplicates,
        errors: [],
        atomic: true,
        note: 'All-or-nothing: every line was validated before anything was written',
      },
    };
  }
}
