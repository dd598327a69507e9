import type { AnyBulkWriteOperation, FilterQuery, Model } from 'mongoose';
import { ID_IN_CHUNK } from './by-id';

/**
 * Update statements per `update` command. FerretDB v1 (msg_update.go) keeps the query of every statement of one
 * `update` command open until the whole command ends, each on a connection of the database's pool (100): a bulk
 * write of ~100 or more updates waits for a connection that only its own end would free, while holding them all.
 * The next `create`/`createIndexes` (a service starting) then waits for that pool under FerretDB's global metadata
 * lock, and every database of the server hangs. Seen in the fault suite when the outbox relay marked a backlog of a
 * few hundred events as published in one bulk write. Real MongoDB does not care; small commands cost little there.
 */
export const FERRETDB_SAFE_BULK_WRITE = 50;

/**
 * `model.bulkWrite(ops)` as several commands of at most FERRETDB_SAFE_BULK_WRITE operations, in order. With
 * `ordered: true` a failing command stops the rest, as one ordered bulk write would.
 */
export async function bulkWriteInChunks<T>(
  model: Model<T>,
  ops: AnyBulkWriteOperation<T>[],
  options: { ordered: boolean },
): Promise<void> {
  for (let i = 0; i < ops.length; i += FERRETDB_SAFE_BULK_WRITE) {
    await model.bulkWrite(ops.slice(i, i + FERRETDB_SAFE_BULK_WRITE), options);
  }
}

/**
 * Deletes the documents of these ids, in commands of one `_id: {$in}` statement of ID_IN_CHUNK ids each: on FerretDB
 * one statement is one write transaction, so deleting by one statement per id cost about 1 ms an id (the outbox's
 * markers, per event).
 */
export async function deleteByIds<T>(model: Model<T>, ids: readonly string[]): Promise<void> {
  for (let i = 0; i < ids.length; i += ID_IN_CHUNK) {
    await model.deleteMany({ _id: { $in: ids.slice(i, i + ID_IN_CHUNK) } } as FilterQuery<T>);
  }
}

/** Documents per `insert` command of insertEach: one command is one round trip and, on FerretDB, one transaction. */
export const INSERT_CHUNK = 500;

const DUPLICATE_KEY = 11000;

/**
 * Inserts documents in unordered commands of INSERT_CHUNK and answers, per document, undefined when it was inserted
 * or the error that kept it out: a duplicate key (`code` 11000, see isDuplicateKeyError) names that document alone;
 * any other failure of a command (the database went away) is given to every document of that command, which may or
 * may not have landed. Never throws: the caller decides per document. Give every document its `_id`: a document
 * without one is sent as it is and the driver adds one to it in place.
 */
export async function insertEach<T>(model: Model<T>, docs: readonly object[]): Promise<(Error | undefined)[]> {
  const outcome = new Array<Error | undefined>(docs.length).fill(undefined);
  for (let from = 0; from < docs.length; from += INSERT_CHUNK) {
    const chunk = docs.slice(from, from + INSERT_CHUNK).map(asCreated);
    try {
      // Straight to the driver, as `model.insertMany(chunk, { lean: true })` sends it (no casting, no validation,
      // no defaults) without mongoose's per-document setImmediate and bookkeeping (issue 20: the import's inserts).
      await model.collection.insertMany(chunk as never[], { ordered: false });
    } catch (error) {
      const writeErrors = (error as { writeErrors?: WriteErrorLike[] }).writeErrors;
      if (!writeErrors || writeErrors.length === 0) {
        const failure = error instanceof Error ? error : new Error(String(error));
        for (let i = 0; i < chunk.length; i++) outcome[from + i] = failure;
        continue;
      }
      for (const w of writeErrors) {
        const code = w.code ?? w.err?.code;
        outcome[from + w.index] = Object.assign(new Error(w.errmsg ?? w.err?.errmsg ?? 'write error'), { code });
      }
    }
  }
  return outcome;
}

/**
 * Inserts documents unless one of their `_id` exists (insertEach): per document, true when inserted and false when
 * it was there already; any other failure is thrown.
 */
export async function insertNew<T>(model: Model<T>, docs: readonly object[]): Promise<boolean[]> {
  const errors = await insertEach(model, docs);
  const failure = errors.find((error) => error !== undefined && !isDuplicateKeyError(error));
  if (failure) throw failure;
  return errors.map((error) => error === undefined);
}

/**
 * A document as `Model.create` stores it, which a lean insertMany does not do by itself: undefined fields left out
 * (the driver would store them as null) and empty objects dropped (mongoose's `minimize`), at every depth.
 */
function asCreated(value: object): object {
  // Most documents hold nothing to drop: they are sent as they are, without a copy (issue 20: the copy of every
  // document of an import was a tenth of its CPU in the customers service).
  if (isClean(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    if (field === undefined) continue;
    if (isPlainObject(field)) {
      const nested = asCreated(field);
      if (Object.keys(nested).length > 0) out[key] = nested;
    } else if (Array.isArray(field)) {
      out[key] = field.map((item: unknown) => (isPlainObject(item) ? asCreated(item) : item));
    } else out[key] = field;
  }
  return out;
}

/** Nothing undefined and no empty plain object at any depth: asCreated would answer an equal copy. */
function isClean(value: object): boolean {
  for (const key in value) {
    if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
    const field = (value as Record<string, unknown>)[key];
    if (field === undefined) return false;
    if (isPlainObject(field)) {
      if (!hasOwnKey(field) || !isClean(field)) return false;
    } else if (Array.isArray(field)) {
      for (const item of field as unknown[]) if (isPlainObject(item) && !isClean(item)) return false;
    }
  }
  return true;
}

function hasOwnKey(value: object): boolean {
  for (const key in value) if (Object.prototype.hasOwnProperty.call(value, key)) return true;
  return false;
}

const isPlainObject = (value: unknown): value is object =>
  typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;

interface WriteErrorLike {
  index: number;
  code?: number;
  errmsg?: string;
  err?: { code?: number; errmsg?: string };
}

/** A duplicate-key error, as a driver error or one insertEach names. */
export const isDuplicateKeyError = (e: unknown): boolean =>
  (e as { code?: number } | undefined)?.code === DUPLICATE_KEY ||
  /E11000|duplicate key/i.test(String((e as Error | undefined)?.message));
