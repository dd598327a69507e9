import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import type { CustomerRecord } from './customer-record';
import { CustomerDoc } from './schemas/customer.schema';
import { CustomerNumberDoc, CustomerRevisionDoc } from './schemas/customer-revision.schema';

export interface Revision {
  customerId: string;
  version: number;
  type: string;
  payload?: Record<string, unknown>;
  record?: CustomerRecord;
  erasedAt?: string;
}

export type LookupKey =
  | { field: 'emails'; value: string }
  | { field: 'phones'; value: string }
  | { field: 'customerNumber'; value: string }
  | { field: 'identityCodeHash'; value: string };

const isDuplicateKey = (e: unknown) => (e as { code?: number }).code === 11000;
const revisionId = (customerId: string, version: number) => `${customerId}:${version}`;

/** The only place that touches the customers service's own collections. Returns plain objects. */
@Injectable()
export class CustomersRepository {
  constructor(
    @InjectModel(CustomerDoc.name) private readonly customers: Model<CustomerDoc>,
    @InjectModel(CustomerRevisionDoc.name) private readonly revisions: Model<CustomerRevisionDoc>,
    @InjectModel(CustomerNumberDoc.name) private readonly numbers: Model<CustomerNumberDoc>,
  ) {}

  /** False when the number is taken. */
  async claimCustomerNumber(customerNumber: string, customerId: string): Promise<boolean> {
    try {
      await this.numbers.create({ _id: customerNumber, customerId, claimedAt: new Date() });
      return true;
    } catch (error) {
      if (isDuplicateKey(error)) return false;
      throw error;
    }
  }

  /** False when a revision of that version exists already (proposed by another writer, maybe committed). */
  async insertRevision(revision: Revision): Promise<boolean> {
    try {
      await this.revisions.create({
        _id: revisionId(revision.customerId, revision.version),
        ...revision,
        createdAt: new Date(),
      });
      return true;
    } catch (error) {
      if (isDuplicateKey(error)) return false;
      throw error;
    }
  }

  async findRevision(customerId: string, version: number): Promise<Revision | undefined> {
    const doc = await this.revisions.findById(revisionId(customerId, version)).lean();
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

  /** Removes the personal data of every revision below `version`; the stubs keep their ids. */
  async stubRevisionsBelow(customerId: string, version: number): Promise<void> {
    await this.revisions.updateMany(
      { customerId, version: { $lt: version }, payload: { $exists: true } },
      { $unset: { payload: 1, record: 1 } },
    );
  }

  /**
   * Replaces the read model with `record` at `version` unless it already holds that version or a newer one.
   * The whole document is replaced, so even an unlucky interleaving of two writers leaves one complete state
   * (CustomerStore.sync then re-checks the version and repairs a regression).
   */
  async replaceProjection(record: CustomerRecord, version: number): Promise<void> {
    const doc: CustomerDoc = {
      _id: record.id,
      version,
      customerNumber: record.customerNumber,
      emails: record.emails,
      phones: record.phones,
      ...(record.identityCodeHash ? { identityCodeHash: record.identityCodeHash } : {}),
      record,
    };
    try {
      await this.customers.replaceOne({ _id: record.id, version: { $lt: version } }, doc, { upsert: true });
    } catch (error) {
      // The document exists with this version or a newer one: nothing to do.
      if (!isDuplicateKey(error)) throw error;
    }
  }

  async projectionVersion(customerId: string): Promise<number | undefined> {
    const doc = await this.customers.findById(customerId, { version: 1 }).lean();
    return doc?.version;
  }

  async deleteProjection(customerId: string): Promise<void> {
    await this.customers.deleteOne({ _id: customerId });
  }

  /** Ids of the customers the read model lists under a lookup key (callers verify against the committed state). */
  async findIds(key: LookupKey, limit = 100): Promise<string[]> {
    const docs = await this.customers
      .find({ [key.field]: key.value }, { _id: 1 })
      .limit(limit)
      .lean();
    return docs.map((d) => d._id);
  }
}
