import type { Model } from 'mongoose';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any collection; the caller names what it reads
type AnyModel = Model<any>;

/**
 * One document by `_id`, straight from the driver: the hot paths' read (issue 20). It answers what
 * `model.findById(id, projection).lean()` answers — a plain document, no casting, getters or defaults — without
 * mongoose's query object, which cost as much CPU per read as the driver itself (measured on the development machine:
 * 370-620 µs against 210-250 µs of CPU per read by `_id`). The filter is exactly `{_id}`, the one filter FerretDB v1
 * answers from its index. Give the type when reading a projection or a narrower view of the documents.
 */
export function byId<T>(model: Model<T>, id: string, projection?: Record<string, 0 | 1>): Promise<T | null>;
export function byId<T>(model: AnyModel, id: string, projection?: Record<string, 0 | 1>): Promise<T | null>;
export async function byId<T>(model: AnyModel, id: string, projection?: Record<string, 0 | 1>): Promise<T | null> {
  return (await model.collection.findOne({ _id: id } as never, projection ? { projection } : {})) as T | null;
}

/**
 * Ids per `_id: {$in}` command (byIds, deleteByIds): FerretDB's kielto build (scripts/infra.sh) pushes `$in` down to
 * its `_id` index for up to 1 000 values; MongoDB always uses the index.
 */
export const ID_IN_CHUNK = 500;

/**
 * The documents of these ids, by id (missing ones absent), in one `_id: {$in}` read per ID_IN_CHUNK ids where reading
 * them one by one cost a command each; a single id is read by `{_id}` (byId), none costs no command.
 */
export async function byIds<T extends { _id: string }>(
  model: AnyModel,
  ids: readonly string[],
): Promise<Map<string, T>> {
  const found = new Map<string, T>();
  const unique = [...new Set(ids)];
  if (unique.length === 1) {
    const doc = await byId<T>(model, unique[0]);
    if (doc) found.set(doc._id, doc);
    return found;
  }
  for (let i = 0; i < unique.length; i += ID_IN_CHUNK) {
    const docs = (await model.collection
      .find({ _id: { $in: unique.slice(i, i + ID_IN_CHUNK) } } as never)
      .toArray()) as unknown as T[];
    for (const doc of docs) found.set(doc._id, doc);
  }
  return found;
}
