import { Model, Schema } from 'mongoose';
import { insertNew } from '../mongo/bulk-write';
import { byIds } from '../mongo/by-id';

/*
 * Lookups answered by key on every server. FerretDB v1 pushes down only a filter that is exactly `{_id: <string>}`
 * (sqlite backend `collection.go` Query) — and, in the build of scripts/infra.sh, `{_id: {$in: [...]}}`; any other
 * filter reads the whole collection.
 * So "which customers hold this identifier" is kept as slot documents whose `_id` is derived from the identifier:
 * `<key>#0`, `<key>#1`, … each naming one customer. Slots are only ever inserted at the first free index (the
 * unique `_id` decides a race) and vacated, never deleted, so they stay contiguous and a reader stops at the first
 * missing one. A slot is a hint: readers confirm each customer against its committed state.
 */

/** The slot store: three operations by `_id`. */
export interface LookupSlotStore {
  /** Per slot id, the customer id of the slot; null when it was vacated; undefined when there is no such slot. */
  read(slotIds: readonly string[]): Promise<(string | null | undefined)[]>;
  /** Inserts slots (in few commands); per slot, false when a slot of that id exists already. */
  insert(slots: readonly { id: string; customerId: string }[]): Promise<boolean[]>;
  /** Vacates a slot (it stays, so later slots remain reachable). */
  vacate(slotId: string): Promise<void>;
}

/** Slots read per round trip (one command): one holder (the usual case) is answered by one round. */
const READ_AHEAD = 2;
/** A bound on the slots of one key, so a pathological key cannot make a request unbounded. */
export const MAX_SLOTS = 1_000;

export const slotId = (key: string, index: number): string => `${key}#${index}`;

interface Slot {
  id: string;
  customerId: string | null;
}

export class LookupSlots {
  constructor(private readonly store: LookupSlotStore) {}

  /** The customers the key's slots name (candidates, not verified), oldest slot first, each once. */
  async holders(key: string): Promise<string[]> {
    const ids = new Set<string>();
    for (const slot of await this.slots(key)) if (slot.customerId !== null) ids.add(slot.customerId);
    return [...ids];
  }

  /** Makes a slot of the key name the customer, unless one does. Safe to run concurrently and to repeat. */
  async ensure(key: string, customerId: string): Promise<void> {
    for (let attempt = 0; attempt < MAX_SLOTS; attempt++) {
      const slots = await this.slots(key);
      if (slots.some((s) => s.customerId === customerId)) return;
      if (slots.length >= MAX_SLOTS) throw new Error(`lookup key has ${MAX_SLOTS} slots`);
      const [inserted] = await this.store.insert([{ id: slotId(key, slots.length), customerId }]);
      if (inserted) return;
      // Another writer took that index: read again (it may even have been a slot for this customer).
    }
    throw new Error('lookup slot not claimed');
  }

  /**
   * `ensure` for many pairs at once (a bulk import): a key without slots gets its slot 0 by one blind insert for
   * all of them (no reads); where slot 0 is taken already, `ensure` reads the slots and takes the next free one.
   */
  async ensureMany(pairs: readonly { key: string; customerId: string }[], concurrency = 32): Promise<void> {
    const unique = [...new Map(pairs.map((p) => [`${p.key}\n${p.customerId}`, p])).values()];
    const inserted = await this.store.insert(unique.map((p) => ({ id: slotId(p.key, 0), customerId: p.customerId })));
    const taken = unique.filter((_, i) => !inserted[i]);
    for (let i = 0; i < taken.length; i += concurrency)
      await Promise.all(taken.slice(i, i + concurrency).map((p) => this.ensure(p.key, p.customerId)));
  }

  /** Vacates every slot of the key that names the customer. */
  async release(key: string, customerId: string): Promise<void> {
    for (const slot of await this.slots(key)) {
      if (slot.customerId === customerId) await this.store.vacate(slot.id);
    }
  }

  private async slots(key: string): Promise<Slot[]> {
    const found: Slot[] = [];
    while (found.length < MAX_SLOTS) {
      const ids = Array.from({ length: READ_AHEAD }, (_, i) => slotId(key, found.length + i));
      const values = await this.store.read(ids);
      for (let i = 0; i < ids.length; i++) {
        const customerId = values[i];
        if (customerId === undefined) return found;
        found.push({ id: ids[i], customerId });
      }
    }
    return found;
  }
}

/** A slot document: `_id` `<key>#<index>`, the customer it names (absent once vacated). */
export interface LookupSlotDoc {
  _id: string;
  customerId?: string;
}

/**
 * The slot store on a MongoDB-protocol collection. Every operation filters by `_id` alone (`{_id}` or `{_id: {$in}}`),
 * which FerretDB (scripts/infra.sh's build) answers from its index.
 */
export class MongoLookupSlotStore implements LookupSlotStore {
  constructor(private readonly model: Model<LookupSlotDoc>) {}

  async read(ids: readonly string[]): Promise<(string | null | undefined)[]> {
    const docs = await byIds<LookupSlotDoc>(this.model, ids);
    return ids.map((id) => {
      const doc = docs.get(id);
      return doc ? (doc.customerId ?? null) : undefined;
    });
  }

  async insert(slots: readonly { id: string; customerId: string }[]): Promise<boolean[]> {
    return insertNew(
      this.model,
      slots.map((s) => ({ _id: s.id, customerId: s.customerId })),
    );
  }

  async vacate(id: string): Promise<void> {
    await this.model.updateOne({ _id: id }, { $unset: { customerId: 1 } });
  }
}

/** The schema of a collection of slot documents (no secondary index: every access is by `_id`). */
export function lookupSlotSchema(collection: string): Schema<LookupSlotDoc> {
  return new Schema<LookupSlotDoc>(
    { _id: { type: String }, customerId: { type: String } },
    { collection, versionKey: false },
  );
}
