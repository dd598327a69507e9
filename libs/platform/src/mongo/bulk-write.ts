import type { AnyBulkWriteOperation, Model } from 'mongoose';

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
