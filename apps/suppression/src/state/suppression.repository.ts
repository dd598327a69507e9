import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { AnyBulkWriteOperation, Model } from 'mongoose';
import { BanDoc, CustomerDoc, LedgerDoc, MarkerDoc, StaffEntryDoc } from './schemas/state.schemas';
import { BanRecord, CustomerRecord, StaffEntry, StoredLedgerEntry, SuppressionState } from './suppression-state';

/** A batch of writes that make the persisted projection match what a batch of events did in memory. */
export class StateWrites {
  customers: AnyBulkWriteOperation<CustomerDoc>[] = [];
  ledger: AnyBulkWriteOperation<LedgerDoc>[] = [];
  ledgerDeletes: string[] = [];
  markers: AnyBulkWriteOperation<MarkerDoc>[] = [];
  bans: AnyBulkWriteOperation<BanDoc>[] = [];
  entries: AnyBulkWriteOperation<StaffEntryDoc>[] = [];

  customer(r: CustomerRecord): void {
    const { customerId, ...rest } = r;
    // Conditional on the sequence so that a replayed older event never overwrites a newer state.
    this.customers.push({
      updateOne: { filter: { _id: customerId, sequence: { $lt: r.sequence } }, update: { $set: rest }, upsert: false },
    });
    this.customers.push({ updateOne: { filter: { _id: customerId }, update: { $setOnInsert: rest }, upsert: true } });
  }

  ledgerEntry(e: StoredLedgerEntry): void {
    const { subjectKey, sequence } = e;
    this.ledger.push({
      updateOne: { filter: { _id: `${subjectKey}#${sequence}` }, update: { $setOnInsert: { ...e } }, upsert: true },
    });
  }

  ledgerFloor(subjectKey: string, below: number): void {
    this.ledgerDeletes.push(subjectKey);
    this.marker(`floor:${subjectKey}`, 'ledger-floor', below, 'max');
  }

  erased(hash: string, at: number): void {
    this.marker(`erased:${hash}`, 'erased', at, 'min');
  }

  staffEntryRemoved(id: string, at: number): void {
    this.entries.push({ deleteOne: { filter: { _id: id } } });
    this.marker(`removed:${id}`, 'entry-removed', at, 'min');
  }

  /**
   * Markers only move one way (erasure and removal times to the earliest, ledger floors to the highest), as
   * the in-memory state does, so a replayed older event changes nothing.
   */
  private marker(id: string, type: MarkerDoc['type'], value: number, keep: 'min' | 'max'): void {
    const beaten = keep === 'min' ? { $gt: value } : { $lt: value };
    this.markers.push({
      updateOne: { filter: { _id: id, value: beaten }, update: { $set: { value } }, upsert: false },
    });
    this.markers.push({ updateOne: { filter: { _id: id }, update: { $setOnInsert: { type, value } }, upsert: true } });
  }

  ban(b: BanRecord): void {
    const { customerId, ...rest } = b;
    const update =
      b.fullSince === undefined ? { $set: { sequence: b.sequence }, $unset: { fullSince: 1 } } : { $set: rest };
    this.bans.push({
      updateOne: { filter: { _id: customerId, sequence: { $lt: b.sequence } }, update, upsert: false },
    });
    this.bans.push({ updateOne: { filter: { _id: customerId }, update: { $setOnInsert: rest }, upsert: true } });
  }

  staffEntry(e: StaffEntry & { createdBy?: string }): void {
    const { id, ...rest } = e;
    this.entries.push({ updateOne: { filter: { _id: id }, update: { $setOnInsert: rest }, upsert: true } });
  }

  get isEmpty(): boolean {
    return (
      this.customers.length +
        this.ledger.length +
        this.ledgerDeletes.length +
        this.markers.length +
        this.bans.length +
        this.entries.length ===
      0
    );
  }
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

  async write(w: StateWrites): Promise<void> {
    // Order matters only between a ledger floor and later entries of the same subject, which the
    // in-memory floor already filters; each collection's writes are idempotent upserts.
    await Promise.all([
      w.customers.length && this.customers.bulkWrite(w.customers, { ordered: true }),
      w.markers.length && this.markers.bulkWrite(w.markers, { ordered: true }),
      w.bans.length && this.bans.bulkWrite(w.bans, { ordered: true }),
      w.entries.length && this.entries.bulkWrite(w.entries, { ordered: true }),
    ]);
    if (w.ledger.length) await this.ledger.bulkWrite(w.ledger, { ordered: false });
    if (w.ledgerDeletes.length) {
      // Delete what is below the floor: the state was already filtered, so read floors from the markers.
      const floors = await this.markers.find({ _id: { $in: w.ledgerDeletes.map((k) => `floor:${k}`) } }).lean();
      for (const f of floors) {
        await this.ledger.deleteMany({ subjectKey: f._id.slice('floor:'.length), sequence: { $lt: f.value } });
      }
    }
  }

  /** Loads everything into a fresh state (cold start). */
  async load(state: SuppressionState): Promise<void> {
    for await (const d of this.markers.find().lean().cursor({ batchSize: 10_000 })) {
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
    for await (const d of this.customers.find().lean().cursor({ batchSize: 10_000 })) {
      state.applyCustomer({
        customerId: d._id,
        sequence: d.sequence,
        kind: d.kind as CustomerRecord['kind'],
        since: d.since,
        restrictedSince: d.restrictedSince ?? undefined,
        erasedAt: d.erasedAt ?? undefined,
        contactPoints: d.contactPoints as CustomerRecord['contactPoints'],
      });
    }
    for await (const d of this.ledger.find().lean().cursor({ batchSize: 10_000 })) {
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
    for await (const d of this.bans.find().lean().cursor({ batchSize: 10_000 })) {
      state.applyBan({ customerId: d._id, sequence: d.sequence, fullSince: d.fullSince ?? undefined });
    }
    for await (const d of this.entries.find().lean().cursor({ batchSize: 10_000 })) {
      state.addStaffEntry({
        id: d._id,
        hash: d.hash,
        kind: d.kind as StaffEntry['kind'],
        reason: d.reason as StaffEntry['reason'],
        channel: d.channel as StaffEntry['channel'],
        since: d.since,
      });
    }
  }
}
