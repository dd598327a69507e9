import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import type { CustomerRecord } from '../customer-record';

/**
 * One proposed version of a customer, written before its event is appended (see CustomersService). The id
 * `<customerId>:<version>` makes at most one revision per version possible. Superseded revisions become stubs
 * (record and payload removed) but are never deleted, so a version number can never be proposed twice.
 */
@Schema({ collection: 'customer_revisions', versionKey: false })
export class CustomerRevisionDoc {
  /** `<customerId>:<version>` */
  @Prop({ type: String }) _id!: string;
  @Prop({ required: true }) customerId!: string;
  @Prop({ required: true }) version!: number;
  /** The event type this revision is published as. */
  @Prop({ required: true }) type!: string;
  /** The event payload (public: hashes and the directory listing only). */
  @Prop({ type: Object }) payload?: Record<string, unknown>;
  /** The private state after this version; absent for an erasure and in stubs. */
  @Prop({ type: Object }) record?: CustomerRecord;
  @Prop() erasedAt?: string;
  @Prop({ required: true }) createdAt!: Date;
}
// No secondary index: revisions are read and stubbed by `_id` only (CustomersRepository.stubRevisionsBelow).
export const CustomerRevisionDocSchema = SchemaFactory.createForClass(CustomerRevisionDoc);

/**
 * Claims of customer numbers: the unique _id is what makes numbers unique (claimed before the first event), and
 * what `GET /v1/customers?customerNumber=` reads (the claimant is then confirmed against its committed state).
 */
@Schema({ collection: 'customer_numbers', versionKey: false })
export class CustomerNumberDoc {
  @Prop({ type: String }) _id!: string;
  @Prop({ required: true }) customerId!: string;
  @Prop({ required: true }) claimedAt!: Date;
}
export const CustomerNumberDocSchema = SchemaFactory.createForClass(CustomerNumberDoc);
