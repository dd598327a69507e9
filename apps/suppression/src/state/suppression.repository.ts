import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, mongo } from 'mongoose';
import { BanDoc, CustomerDoc, LedgerDoc, MarkerDoc, StaffEntryDoc } from './schemas/state.schemas';
import { BanRecord, CustomerRecord, StaffEntry, StoredLedgerEntry, SuppressionState } from './suppression-state';

type Marker = { type: MarkerDoc['type']; value: number; keep: 'min' | 'max' };
/** Suppression's documents all have string ids. */
type Doc = { _id: string } & Record<string, unknown>;
type Docs = mongo.Collection<Doc>;
const native = <T>(model: Model<T>): Docs => model.collection as unknown as Docs;

/**
 * The writes that make the persisted projection match what a batch of events did in memory. Only the newest
 * state of a customer or ban in the batch is kept; ledger entries and staff entries are immutable once written.
 */
export class StateWrites {
  readonly customers = new Map<string, CustomerRecord>();
  readonly bans = new Map<string, BanRecord>();
  readonly ledger: Doc[] = [];
  readonly ledgerFloors = new Map<string, number>();
  readonly markers = new Map<string, Marker>();
  readonly entriesAdded = new Map<string, Doc>();
  readonly entriesRemoved = new Set<string>();

  customer(r: CustomerRecord): void {
    const held = this.customers.get(r.customerId);
    if (!held || held.sequence < r.sequence) this.customers.set(r.customerId, r);
  }

  ban(b: BanRecord): void {
    const held = this.bans.get(b.customerId);
    if (!held || held.sequence < b.sequence) this.bans.set(b.customerId, b);
  }

  ledgerEntry(e: StoredLedgerEntry): void {
    this.ledger.push({ _id: `${e.subjectKey}#${e.sequence}`, ...withoutUndefined(e) });
  }

  ledgerFloor(subjectKey: string, below: number): void {
    this.ledgerFloors.set(subjectKey, Math.max(this.ledgerFloors.get(subjectKey) ?? 0, below));
    this.marker(`floor:${subjectKey}`, 'ledger-floor', below, 'max');
  }

  erased(hash: string, at: number): void {
    this.marker(`erased:${hash}`, 'erased', at, 'min');
  }

  staffEntry(e: StaffEntry & { createdBy?: string }): void {
    if (this.entriesRemoved.has(e.id)) return;
    const { id, ...rest } = e;
    this.entriesAdded.set(id, { _id: id, ...withoutUndefined(rest) });
  }

  staffEntryRemoved(id: string, at: number): void {
    this.entriesAdded.delete(id);
    this.entriesRemoved.add(id);
    this.marker(`removed:${id}`, 'entry-removed', at, 'min');
  }

  /** Markers only move one way (erasure and removal times to the earliest, floors to the highest). */
  private marker(id: string, type: MarkerDoc['type'], value: number, keep: 'min' | 'max'): void {
    const held = this.markers.get(id);
    if (held && (keep === 'min' ? held.value <= value : held.value >= value)) return;
    this.markers.set(id, { type, value, keep });
  }

  get isEmpty(): boolean {
    return (
      this.customers.size +
        this.bans.size +
        this.ledger.length +
        this.markers.size +
        this.entriesAdded.size +
        this.entriesRemoved.size ===
      0
    );
  }
}

function withoutUndefined<T extends object>(value: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = v;
  return out as T;
}

const DUPLICATE_KEY = 11000;

/**
 * Inserts documents, tolerating those whose _id is already stored (a redelivered event), and returns the
 * indexes of those duplicates. Plain inserts, because on FerretDB an upsert costs ~25x an insert and a
 * replay writes hundreds of thousands of documents; any other write error is thrown (the batch is retried).
 */
async function insertTolerant(collection: Docs, docs: Doc[]): Promise<number[]> {
  if (docs.length === 0) return [];
  try {
    await collection.insertMany(docs, { ordered: false });
    return [];
  } catch (error) {
    const writeErrors = (
      error as { writeErrors?: { code?: number; index: number }[] | { code?: number; index: number } }
    ).writeErrors;
    const list = Array.isArray(writeErrors) ? writeErrors : writeErrors ? [writeErrors] : [];
    if (list.length === 0 || list.some((e) => e.code !== DUPLICATE_KEY)) throw error;
    return list.map((e) => e.index);
  }
}

/** $set of the present fields and $unset of the absent optional ones (a lifted restriction must disappear). */
function replacement(fields: Record<string, unknown>, optional: string[]): Record<string, unknown> {
  const set: Record<string, unknown> = {};
  const unset: Record<string, 1> = {};
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) set[k] = v;
  for (const k of optional) if (fields[k] === undefined) unset[k] = 1;
  return Object.keys(unset).length > 0 ? { $set: set, $unset: unset } : { $set: set };
}

/** The only place that touches suppression's collections. */
@Injectable()
export class SuppressionRepository {
  constructor(
    @InjectModel(CustomerDoc.name) private readonly customers: Model<CustomerDoc>,
    @InjectModel(LedgerDoc.name) private readonly ledger: Model<LedgerDoc>,
    @InjectModel(MarkerDoc.name) private readonly markers: Model<MarkerDoc>,
    @InjectModel(BanDoc.name) private readonly bans: Model<BanDoc>,
    @InjectModel(StaffEntryDoc.name) private readonly entries: Model<StaffEntryDoc>,
  ) {}

  /**
   * Persists a batch. Every write is idempotent (inserts of immutable documents, updates conditional on a
   * newer sequence, markers that only move one way), so a batch written twice — a crash before the offsets
   * were committed — changes nothing the second time.
   */
  async write(w: StateWrites): Promise<void> {
    await Promise.all([
      this.writeVersioned(
        native(this.customers),
        w.customers,
        (r) => {
          const { customerId, ...rest } = r;
          return { _id: customerId, ...rest };
        },
        ['restrictedSince', 'erasedAt'],
      ),
      this.writeVersioned(
        native(this.bans),
        w.bans,
        (b) => {
          const { customerId, ...rest } = b;
          return { _id: customerId, ...rest };
        },
        ['fullSince'],
      ),
      this.writeMarkers(w.markers),
      insertTolerant(native(this.ledger), w.ledger),
      this.writeEntries(w),
    ]);
    if (w.ledgerFloors.size > 0) {
      for (const [subjectKey, below] of w.ledgerFloors) {
        await native(this.ledger).deleteMany({ subjectKey, sequence: { $lt: below } });
      }
    }
  }

  /** Newest state per _id: inserted the first time, afterwards updated only by a higher sequence. */
  private async writeVersioned<T extends { sequence: number }>(
    collection: Docs,
    records: Map<string, T>,
    toDoc: (record: T) => Doc,
    optional: string[],
  ): Promise<void> {
    if (records.size === 0) return;
    const docs = [...records.values()].map(toDoc);
    const held = await insertTolerant(collection, docs);
    if (held.length === 0) return;
    const updates: mongo.AnyBulkWriteOperation<Doc>[] = held.map((i) => {
      const { _id, ...fields } = docs[i];
      return {
        updateOne: {
          filter: { _id, sequence: { $lt: fields.sequence as number } },
          update: replacement(fields, optional),
        },
      };
    });
    await collection.bulkWrite(updates, { ordered: false });
  }

  private async writeMarkers(markers: Map<string, Marker>): Promise<void> {
    if (markers.size === 0) return;
    const entries = [...markers.entries()];
    const held = await insertTolerant(
      native(this.markers),
      entries.map(([id, m]) => ({ _id: id, type: m.type, value: m.value })),
    );
    if (held.length === 0) return;
    await native(this.markers).bulkWrite(
      held.map((i) => {
        const [id, m] = entries[i];
        return {
          updateOne: {
            filter: { _id: id, value: m.keep === 'min' ? { $gt: m.value } : { $lt: m.value } },
            update: { $set: { value: m.value } },
          },
        };
      }),
      { ordered: false },
    );
  }

  private async writeEntries(w: StateWrites): Promise<void> {
    await insertTolerant(native(this.entries), [...w.entriesAdded.values()]);
    if (w.entriesRemoved.size > 0) await native(this.entries).deleteMany({ _id: { $in: [...w.entriesRemoved] } });
  }

  /**
   * Loads everything into a fresh state (cold start). Markers first, so that floors and removals filter; then the
   * four collections at once — the state does not depend on the order of facts about different things, and reading
   * them side by side keeps the database busy while this process applies what it has received.
   */
  async load(state: SuppressionState): Promise<void> {
    const all = <T>(collection: Docs) => collection.find({}, { batchSize: 10_000 }) as unknown as AsyncIterable<T>;
    for await (const d of all<MarkerDoc>(native(this.markers))) {
      switch (d.type) {
        case 'erased':
          state.markErased(d._id.slice('erased:'.length), d.value);
          break;
        case 'ledger-floor':
          state.eraseLedger(d._id.slice('floor:'.length), d.value);
          break;
        case 'entry-removed':
          state.removeStaffEntry(d._id.slice('removed:'.length), d.value);
          break;
      }
    }
    const customers = async () => {
      for await (const d of all<CustomerDoc>(native(this.customers))) {
        state.applyCustomer({
          customerId: d._id,
          sequence: d.sequence,
          kind: d.kind as CustomerRecord['kind'],
          since: d.since,
          restrictedSince: d.restrictedSince ?? undefined,
          erasedAt: d.erasedAt ?? undefined,
          contactPoints: (d.contactPoints ?? []).map((cp) => ({
            kind: cp.kind as 'email' | 'phone',
            hash: cp.hash,
            owner: cp.owner as 'own' | 'contact-person',
          })),
        });
      }
    };
    const ledger = async () => {
      for await (const d of all<LedgerDoc>(native(this.ledger))) {
        state.applyLedgerEntry({
          subjectKey: d.subjectKey,
          sequence: d.sequence,
          channel: d.channel as StoredLedgerEntry['channel'],
          purpose: d.purpose as StoredLedgerEntry['purpose'],
          decision: d.decision as StoredLedgerEntry['decision'],
          at: d.at,
          expiresAt: d.expiresAt ?? undefined,
        });
      }
    };
    const bans = async () => {
      for await (const d of all<BanDoc>(native(this.bans))) {
        state.applyBan({ customerId: d._id, sequence: d.sequence, fullSince: d.fullSince ?? undefined });
      }
    };
    const entries = async () => {
      for await (const d of all<StaffEntryDoc>(native(this.entries))) {
        state.addStaffEntry({
          id: d._id,
          hash: d.hash,
          kind: d.kind as StaffEntry['kind'],
          reason: d.reason as StaffEntry['reason'],
          channel: d.channel as StaffEntry['channel'],
          since: d.since,
        });
      }
    };
    await Promise.all([customers(), ledger(), bans(), entries()]);
  }
}
