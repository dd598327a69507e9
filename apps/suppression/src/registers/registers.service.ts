import { Injectable } from '@nestjs/common';
import { createHash, type Hash } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import {
  encodeRegisterHashes,
  normalisePhone,
  normalisePostalIdentity,
  POSTAL_FIELDS,
  postalHashInput,
  REGISTER_HASHES_PER_EVENT,
  registerAggregate,
  RegisterChangedV1,
  RegisterName,
  SUPPRESSION_ENTRIES_TOPIC,
  SUPPRESSION_ENTRY_EVENT_TYPES,
} from '@kielto/contracts';
import {
  Actor,
  collectGarbageOnce,
  ConcurrentModificationError,
  EventLog,
  FieldError,
  fieldProblem,
  ProblemException,
  readLines,
} from '@kielto/platform';
import { FastIdentifierHasher } from '../check/fast-hasher';
import { IdentifierMap, NONE, SuppressionState } from '../engine';
import { RegisterRowReader, RowError, RowFormat } from './register-rows';

/** A snapshot of a national register: tens of millions of rows fit; a runaway upload does not. */
export const MAX_REGISTER_BYTES = 2 * 1024 * 1024 * 1024;
const MAX_ROW_ERRORS = 100;
/** Changed rows beyond which an import ends with one full garbage collection. */
const LARGE_SNAPSHOT_ROWS = 100_000;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** What a snapshot did to the register: the answer, and the import's audit record. */
export interface RegisterSnapshotResult {
  register: RegisterName;
  registerDate: string;
  /** Distinct rows of the snapshot: the register holds exactly these now. */
  rows: number;
  added: number;
  removed: number;
  unchanged: number;
  /** Lines repeating a row met before in the same snapshot (counted once). */
  repeated: number;
  /** SHA-256 hex of the snapshot as uploaded. */
  inputSha256: string;
}

/** A snapshot as uploaded: which register, its date, the streamed body and its format, and who sent it. */
export interface SnapshotUpload {
  register: RegisterName;
  registerDate: string;
  body: Readable;
  format: RowFormat;
  actor: Actor;
}

/** How a register's rows are read: the fields a row has, and its keyed hash (eight big-endian words). */
interface RowKind {
  fields: ReadonlySet<string>;
  /** The row's keyed hash, or undefined after adding field errors. */
  hash(row: Record<string, unknown>, errors: FieldError[]): Int32Array | undefined;
}

/**
 * ASML's Robinson registers, imported as full snapshots (docs/CONTRACT.md §3.9). The snapshot is read as a stream
 * and diffed against the register held, in memory that does not grow with the input beyond the register's own
 * compact form: a bit per row held (was it in the snapshot), and 32 bytes per row that is new. Nothing is written
 * until every line was read and found valid; then the difference goes out as change events on suppression's
 * internal topic (aggregate `register:<name>`, ≤ 5000 hashes each, in sequence), which every instance applies in
 * order, which a rebuild from Kafka replays, and which snapshots and the state digest include.
 */
@Injectable()
export class RegistersService {
  private readonly busy = new Set<RegisterName>();
  private readonly kinds: Record<RegisterName, RowKind>;

  constructor(
    private readonly state: SuppressionState,
    private readonly eventLog: EventLog,
    private readonly hasher: FastIdentifierHasher,
  ) {
    this.kinds = {
      'asml-phone': {
        fields: new Set(['phone']),
        hash: (row, errors) => {
          const phone = typeof row.phone === 'string' ? normalisePhone(row.phone) : null;
          if (phone === null) {
            errors.push({ field: 'phone', message: 'phone must be a valid phone number' });
            return undefined;
          }
          return this.hasher.hashWords(phone);
        },
      },
      'asml-post': {
        fields: new Set(POSTAL_FIELDS),
        hash: (row, errors) => {
          const identity = normalisePostalIdentity(row, errors);
          return identity === null ? undefined : this.hasher.hashWords(postalHashInput(identity));
        },
      },
    };
  }

  /** Reads `X-Register-Date` (YYYY-MM-DD, a real date); a 400 naming the header otherwise. */
  static readDate(value: unknown): string {
    if (typeof value !== 'string' || !DATE.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) {
      throw fieldProblem('X-Register-Date', 'X-Register-Date must be a date YYYY-MM-DD');
    }
    if (new Date(`${value}T00:00:00Z`).toISOString().slice(0, 10) !== value) {
      throw fieldProblem('X-Register-Date', 'X-Register-Date must be a real calendar date');
    }
    // A snapshot from the future would refuse every real one after it (409) and never be overdue.
    if (Date.parse(`${value}T00:00:00Z`) > Date.now() + 86_400_000) {
      throw fieldProblem('X-Register-Date', 'X-Register-Date must not be in the future');
    }
    return value;
  }

  /**
   * Imports a full snapshot. Refuses (409) a snapshot older than the register's, and a second import of the same
   * register while one is under way. Malformed rows: a 400 listing them by line, nothing imported.
   */
  async importSnapshot(upload: SnapshotUpload): Promise<RegisterSnapshotResult> {
    const { register, registerDate } = upload;
    const set = this.state.register(register);
    const held = set.head.date;
    if (held !== undefined && Date.parse(`${registerDate}T00:00:00Z`) < held) {
      throw new ProblemException(
        409,
        'older-register-snapshot',
        `The register ${register} holds the snapshot of ${isoDate(held)}; a snapshot of ${registerDate} is older`,
        [{ field: 'X-Register-Date', message: `X-Register-Date must not be before ${isoDate(held)}` }],
      );
    }
    if (this.busy.has(register)) {
      throw new ProblemException(409, 'import-under-way', `An import of ${register} is under way; try again later`);
    }
    this.busy.add(register);
    try {
      const result = await this.diffAndWrite(upload);
      // A large snapshot leaves hundreds of MB of parsed lines and encoded events behind: give them back now.
      if (result.added + result.removed > LARGE_SNAPSHOT_ROWS) collectGarbageOnce();
      return result;
    } finally {
      this.busy.delete(register);
    }
  }

  private async diffAndWrite({
    register,
    registerDate,
    body,
    format,
    actor,
  }: SnapshotUpload): Promise<RegisterSnapshotResult> {
    const set = this.state.register(register);
    const kind = this.kinds[register];
    const startSequence = set.head.sequence;
    // One bit per row held (a byte: simple, and a million rows is a megabyte); new rows as 32 bytes each (in pages).
    const seen = new Uint8Array(set.capacity);
    // New rows, deduplicated; nothing is ever deleted from it, so its indices are 0 … size - 1.
    const fresh = new IdentifierMap();
    let unchanged = 0;
    let repeated = 0;
    const errors: RowError[] = [];
    let errorCount = 0;
    const reader = new RegisterRowReader(
      format,
      kind.fields,
      (row, _line, fieldErrors) => {
        const words = kind.hash(row, fieldErrors);
        if (words === undefined || errorCount > 0) return;
        const at = set.findWords(words);
        if (at !== NONE) {
          if (seen[at] === 1) repeated++;
          else {
            seen[at] = 1;
            unchanged++;
          }
          return;
        }
        const size = fresh.size;
        fresh.internWords(words);
        if (fresh.size === size) repeated++;
      },
      (error) => {
        errorCount++;
        if (errors.length < MAX_ROW_ERRORS) errors.push(error);
      },
    );
    const digest = createHash('sha256');
    let line = 0;
    await readLines(tap(body, digest), (text) => reader.read(text, ++line), MAX_REGISTER_BYTES);
    if (errorCount > 0) {
      const more = errorCount > errors.length ? ` (the first ${errors.length} are listed)` : '';
      throw new ProblemException(
        400,
        'validation',
        `Nothing was imported: ${errorCount} rows of the snapshot are invalid${more}`,
        errors.map((e) => ({ field: e.field, message: e.message, line: e.line })),
      );
    }
    const addedCount = fresh.size;
    if (unchanged + addedCount === 0 || !reader.sawHeader) {
      throw fieldProblem('body', 'a register snapshot must hold at least one row');
    }
    if (set.head.sequence !== startSequence) {
      throw new ProblemException(409, 'register-changed', `The register ${register} changed meanwhile; try again`);
    }
    const inputSha256 = digest.digest('hex');
    const removed = Buffer.allocUnsafe(32 * Math.max(0, set.size - unchanged));
    let removedCount = 0;
    for (const row of set.rows()) {
      if (seen[row] !== 1) set.writeBytes(row, removed, 32 * removedCount++);
    }
    // The new rows are written out of `fresh` an event at a time: a second copy of them all (32 MB a million rows)
    // would only leave a hole in the allocator's heap once freed. The removed rows are copied first, as the
    // register they come from changes while the events are applied.
    const words = new Int32Array(8);
    const added = (from: number, to: number): Buffer => {
      const bytes = Buffer.allocUnsafe(32 * (to - from));
      for (let i = from; i < to; i++) {
        fresh.wordsOf(i, words);
        for (let w = 0; w < 8; w++) bytes.writeInt32BE(words[w], 32 * (i - from) + 4 * w);
      }
      return bytes;
    };
    const result: RegisterSnapshotResult = {
      register,
      registerDate,
      rows: unchanged + addedCount,
      added: addedCount,
      removed: removedCount,
      unchanged,
      repeated,
      inputSha256,
    };
    const same =
      removedCount === 0 &&
      addedCount === 0 &&
      set.head.date === Date.parse(`${registerDate}T00:00:00Z`) &&
      set.head.inputSha256 === inputSha256;
    if (!same) await this.write(result, added, removed, startSequence, actor);
    return result;
  }

  /**
   * The difference as change events, removals first; the last one carries the summary and the date. `added(from, to)`:
   * the 32 bytes of each new row from … to - 1 (`result.added` of them).
   */
  private async write(
    result: RegisterSnapshotResult,
    added: (from: number, to: number) => Buffer,
    removed: Buffer,
    startSequence: number,
    actor: Actor,
  ): Promise<void> {
    const removedRows = removed.length / 32;
    const total = result.added + removedRows;
    const parts = Math.max(1, Math.ceil(total / REGISTER_HASHES_PER_EVENT));
    for (let part = 1; part <= parts; part++) {
      const from = (part - 1) * REGISTER_HASHES_PER_EVENT;
      const to = Math.min(total, from + REGISTER_HASHES_PER_EVENT);
      const removedPart = removed.subarray(32 * Math.min(from, removedRows), 32 * Math.min(to, removedRows));
      const addedPart = added(Math.max(0, from - removedRows), Math.max(0, to - removedRows));
      const last = part === parts;
      const data: RegisterChangedV1 = {
        register: result.register,
        registerDate: result.registerDate,
        inputSha256: result.inputSha256,
        part,
        last,
        added: encodeRegisterHashes(addedPart),
        removed: encodeRegisterHashes(removedPart),
        importedBy: actor.keyId,
      };
      if (last) {
        data.summary = {
          rows: result.rows,
          added: result.added,
          removed: result.removed,
          unchanged: result.unchanged,
        };
      }
      try {
        await this.eventLog.append({
          topic: SUPPRESSION_ENTRIES_TOPIC,
          aggregateId: registerAggregate(result.register),
          type: SUPPRESSION_ENTRY_EVENT_TYPES.registerChanged,
          expectedSequence: startSequence + part,
          data,
        });
      } catch (error) {
        if (!(error instanceof ConcurrentModificationError)) throw error;
        throw new ProblemException(
          409,
          'register-changed',
          `The register ${result.register} was changed by another import; import the snapshot again`,
        );
      }
    }
  }
}

const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The body as it is read, with every byte also going into the hash. */
function tap(body: Readable, hash: Hash): Readable {
  const out = new PassThrough();
  body.on('data', (chunk: Buffer) => hash.update(chunk));
  body.on('error', (error) => out.destroy(error));
  body.pipe(out);
  return out;
}
