import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { byId, insertNew, LookupSlotDoc, LookupSlotStore, MongoLookupSlotStore } from '@kielto/platform';
import type { CustomerRecord } from './customer-record';
import { CustomerDoc } from './schemas/customer.schema';
import { CustomerNumberDoc, CustomerRevisionDoc } from './schemas/customer-revision.schema';
import { RetentionDueDoc } from './schemas/retention-due.schema';

/** A relationship that ended at `endedAt` (see RetentionDueDoc). */
export interface RetentionHint {
  id: string;
  customerId: string;
  endedAt: string;
}

/** Marks the start-up backfill of retention hints as done; sorts after every ISO instant, so no range reaches it. */
const RETENTION_BACKFILL_MARKER = '~backfill:retention-v1';

export interface Revision {
  customerId: string;
  version: number;
  type: string;
  payload?: Record<string, unknown>;
  record?: CustomerRecord;
  erasedAt?: string;
}

/** The lookup slots' collection (see LookupSlots); this document marks the backfill of older customers as done. */
export const CUSTOMER_LOOKUPS = 'customer_lookups';
const BACKFILL_MARKER = 'backfill:lookups-v1';

const isDuplicateKey = (e: unknown) => (e as { code?: number }).code === 11000;

const revisionId = (customerId: string, version: number) => `${customerId}:${version}`;

/** The only place that touches the customers service's own collections. Returns plain objects. */
@Injectable()
export class CustomersRepository {
  constructor(
    @InjectModel(CustomerDoc.name) private readonly customers: Model<CustomerDoc>,
    @InjectModel(CustomerRevisionDoc.name) private readonly revisions: Model<CustomerRevisionDoc>,
    @InjectModel(CustomerNumberDoc.name) private readonly numbers: Model<CustomerNumberDoc>,
    @InjectModel(CUSTOMER_LOOKUPS) private readonly lookups: Model<LookupSlotDoc>,
    @InjectModel(RetentionDueDoc.name) private readonly retention: Model<RetentionDueDoc>,
  ) {
    this.lookupSlots = new MongoLookupSlotStore(this.lookups);
  }

  /** Slots of e-mail, phone and identity-code lookups (by `_id` only). */
  readonly lookupSlots: LookupSlotStore;

  /** The customer that claimed a number (a hint: the claim precedes the first event, which may never come). */
  async numberClaimant(customerNumber: string): Promise<string | undefined> {
    const doc = await byId(this.numbers, customerNumber);
    return doc?.customerId;
  }

  /** False when the number is taken. */
  async claimCustomerNumber(customerNumber: string, customerId: string): Promise<boolean> {
    const [claimed] = await this.claimCustomerNumbers([{ customerNumber, customerId }]);
    return claimed;
  }

  /** Claims many numbers at once (bulk import); per claim, false when the number is taken. */
  async claimCustomerNumbers(claims: readonly { customerNumber: string; customerId: string }[]): Promise<boolean[]> {
    const claimedAt = new Date();
    return insertNew(
      this.numbers,
      claims.map((c) => ({ _id: c.customerNumber, customerId: c.customerId, claimedAt })),
    );
  }

  /**
   * Per revision, false when a revision of that version exists already (proposed by another writer, maybe
   * committed). Many at once in few commands (a bulk import's creates); a single write inserts one.
   */
  async insertRevisions(revisions: readonly Revision[]): Promise<boolean[]> {
    const createdAt = new Date();
    return insertNew(
      this.revisions,
      revisions.map((revision) => ({
        _id: revisionId(revision.customerId, revision.version),
        ...revision,
        createdAt,
      })),
    );
  }

  async findRevision(customerId: string, version: number): Promise<Revision | undefined> {
    const doc = await byId(this.revisions, revisionId(customerId, version));
    if (!doc) return undefined;
    return {
      customerId: doc.customerId,
      version: doc.version,
      type: doc.type,
      payload: doc.payload ?? undefined,
      record: doc.record ?? undefined,
      erasedAt: doc.erasedAt ?? undefined,
    };
  }

  /**
   * Removes the personal data of every revision below `version`; the stubs keep their ids. Revisions are stubbed
   * oldest first, so the stubs always form a prefix: walking down from `version - 1` to the newest stub finds all
   * that are left, each by `_id` (a filter on `customerId` would read the whole collection on FerretDB).
   */
  async stubRevisionsBelow(customerId: string, version: number): Promise<void> {
    let lowest = version;
    while (lowest > 1) {
      const doc = await byId(this.revisions, revisionId(customerId, lowest - 1), { payload: 1, record: 1 });
      if (!doc || (doc.payload == null && doc.record == null)) break;
      lowest--;
    }
    for (let v = lowest; v < version; v++) {
      await this.revisions.updateOne({ _id: revisionId(customerId, v) }, { $unset: { payload: 1, record: 1 } });
    }
  }

  /**
   * Replaces the read model with `record` at `version` unless it already holds that version or a newer one. Read
   * and write are by `_id` (FerretDB serves nothing else from an index); the whole document is replaced, so even an
   * unlucky interleaving of two writers leaves one complete state, and CustomerStore.sync re-checks the version and
   * repairs a regression.
   */
  async replaceProjection(record: CustomerRecord, version: number): Promise<void> {
    if (((await this.projectionVersion(record.id)) ?? 0) >= version) return;
    const doc: CustomerDoc = { _id: record.id, version, customerNumber: record.customerNumber, record };
    try {
      await this.customers.replaceOne({ _id: record.id }, doc, { upsert: true });
    } catch (error) {
      // Another writer inserted it first: CustomerStore.sync reads the version again and decides.
      if (!isDuplicateKey(error)) throw error;
    }
  }

  /**
   * The read model of new customers at version 1, inserted only (never over a newer one): per record, false when
   * the customer has a projection already (CustomerStore.projectMany then syncs it as any other).
   */
  async insertProjections(records: readonly CustomerRecord[]): Promise<boolean[]> {
    return insertNew(
      this.customers,
      records.map((record) => ({ _id: record.id, version: 1, customerNumber: record.customerNumber, record })),
    );
  }

  /** The read model of a customer: the record of `version` (see CustomerStore.load). */
  async findProjection(customerId: string): Promise<{ version: number; record: CustomerRecord } | undefined> {
    const doc = await byId(this.customers, customerId, { version: 1, record: 1 });
    return doc?.record ? { version: doc.version, record: doc.record } : undefined;
  }

  async projectionVersion(customerId: string): Promise<number | undefined> {
    const doc = await byId(this.customers, customerId, { version: 1 });
    return doc?.version;
  }

  async deleteProjection(customerId: string): Promise<void> {
    await this.customers.deleteOne({ _id: customerId });
  }

  /** Every projected customer's record (the start-up backfill reads them once). */
  async *projectedRecords(): AsyncGenerator<CustomerRecord> {
    const cursor = this.customers.find({}, { record: 1 }).lean<CustomerDoc[]>().cursor({ batchSize: 500 });
    try {
      for await (const doc of cursor) if (doc.record) yield doc.record;
    } finally {
      await cursor.close();
    }
  }

  /** Claims a number for the customer that holds it unless it is claimed (records from before claims existed). */
  async ensureNumberClaim(customerNumber: string, customerId: string): Promise<void> {
    await this.claimCustomerNumber(customerNumber, customerId);
  }

  async backfillDone(): Promise<boolean> {
    return (await byId(this.lookups, BACKFILL_MARKER)) !== null;
  }

  async markBackfillDone(): Promise<void> {
    await this.insertOnce(this.lookups, { _id: BACKFILL_MARKER });
  }

  /** Records that the customer's relationship ended at `endedAt`, unless recorded already. */
  async ensureRetentionHint(customerId: string, endedAt: string): Promise<void> {
    await this.insertOnce(this.retention, { _id: `${endedAt}|${customerId}`, customerId, endedAt });
  }

  /** Every hint of a relationship that ended before `before` (ISO), oldest first. */
  async retentionHintsBefore(before: string): Promise<RetentionHint[]> {
    const docs = await this.retention
      .find({ _id: { $gte: '0', $lt: before } })
      .sort({ _id: 1 })
      .lean<RetentionDueDoc[]>();
    return docs.map((d) => ({ id: d._id, customerId: d.customerId, endedAt: d.endedAt }));
  }

  async dropRetentionHint(id: string): Promise<void> {
    await this.retention.deleteOne({ _id: id });
  }

  async retentionBackfillDone(): Promise<boolean> {
    return (await byId(this.retention, RETENTION_BACKFILL_MARKER)) !== null;
  }

  async markRetentionBackfillDone(): Promise<void> {
    await this.insertOnce(this.retention, { _id: RETENTION_BACKFILL_MARKER, customerId: '-', endedAt: '-' });
  }

  /** Inserts a document unless one of its `_id` exists. */
  private async insertOnce<T>(model: Model<T>, doc: object): Promise<void> {
    try {
      await model.create(doc);
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
  }
}
