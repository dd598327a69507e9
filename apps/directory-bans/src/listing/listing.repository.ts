import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { AnyBulkWriteOperation, Model } from 'mongoose';
import { bulkWriteInChunks, byId, insertNew } from '@kielto/platform';
import { Listing, ListingChange } from './listing.types';
import { ListingDoc } from './schemas/listing.schema';

const PERSONAL_FIELDS = ['customerNumber', 'name', 'phone', 'address'] as const;

/** The only place that touches the listings collection. */
@Injectable()
export class ListingRepository {
  constructor(@InjectModel(ListingDoc.name) private readonly listings: Model<ListingDoc>) {}

  /**
   * Applies a batch of changes: each unless its listing holds a newer event. The event a listing already holds is
   * applied again (`<=`): it gives the same state, and when the projection's rules change (v1.1: former customers
   * are not listable), reading the customers topic again from the start brings every stored listing under the new
   * rules. Held sequences are read and listings written by `_id` alone (FerretDB v1 reads the whole collection for
   * any other filter); a customer's events come in order on one partition, one batch at a time, so the read and
   * the write do not race another write of the same listing.
   */
  async apply(changes: readonly ListingChange[]): Promise<void> {
    if (changes.length === 0) return;
    // A customer's first event usually finds no listing: those are inserted without a read (an import's batch of
    // creates is one command instead of a read per customer, issue 20). Where one exists (a replay from the start),
    // the insert fails as a duplicate and the change takes the read path below.
    const firsts = new Map<string, ListingChange>();
    for (const change of changes)
      if (change.sequence === 1 && !firsts.has(change.customerId)) firsts.set(change.customerId, change);
    const inserted = new Set<string>();
    if (firsts.size > 0) {
      const created = [...firsts.values()];
      const fresh = await insertNew(
        this.listings,
        created.map((change) => ({ _id: change.customerId, ...fieldsOf(change).set })),
      );
      created.forEach((change, i) => fresh[i] && inserted.add(change.customerId));
    }
    const rest = changes.filter(
      (change) => !(inserted.has(change.customerId) && firsts.get(change.customerId) === change),
    );
    const held = await Promise.all(
      rest.map((c) =>
        inserted.has(c.customerId)
          ? Promise.resolve({ sequence: 1 })
          : byId<Pick<ListingDoc, 'sequence'>>(this.listings, c.customerId, { sequence: 1 }),
      ),
    );
    const ops: AnyBulkWriteOperation<ListingDoc>[] = [];
    rest.forEach((change, i) => {
      const sequence = held[i]?.sequence;
      if (sequence !== undefined && sequence > change.sequence) return;
      const { set, unset } = fieldsOf(change);
      ops.push({
        updateOne: { filter: { _id: change.customerId }, update: { $set: set, $unset: unset }, upsert: true },
      });
    });
    // A consumer batch of hundreds of customers would be one command too large for FerretDB (see bulkWriteInChunks).
    if (ops.length > 0) await bulkWriteInChunks(this.listings, ops, { ordered: true });
  }

  /** Every publishable listing in customer-id order, streamed from a cursor. */
  async *publishableInIdOrder(batchSize: number): AsyncGenerator<Listing> {
    const cursor = this.listings
      .find({ publishable: true }, { sequence: 0, publishable: 0, erased: 0 })
      .sort({ _id: 1 })
      .lean<ListingDoc[]>()
      .cursor({ batchSize });
    try {
      for await (const raw of cursor) {
        const doc = raw;
        yield {
          customerId: doc._id,
          customerNumber: doc.customerNumber ?? '',
          name: doc.name ?? '',
          ...(doc.phone != null ? { phone: doc.phone } : {}),
          ...(doc.address != null ? { address: doc.address } : {}),
        };
      }
    } finally {
      await cursor.close();
    }
  }
}

/** What a change makes of the listing: the fields it sets and the ones it removes. */
function fieldsOf(change: ListingChange): { set: Record<string, unknown>; unset: Record<string, 1> } {
  const set: Record<string, unknown> = { sequence: change.sequence };
  const unset: Record<string, 1> = {};
  if (change.erased) {
    Object.assign(set, { publishable: false, erased: true });
    for (const field of PERSONAL_FIELDS) unset[field] = 1;
  } else {
    Object.assign(set, { publishable: change.publishable });
    unset.erased = 1;
    for (const field of PERSONAL_FIELDS) {
      if (change.listing[field] !== undefined) set[field] = change.listing[field];
      else unset[field] = 1;
    }
  }
  return { set, unset };
}
