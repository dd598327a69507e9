import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/**
 * A hint that a customer's relationship ended: `_id` `<relationshipEndedAt ISO>|<customerId>`, so the retention
 * job finds every ending before its cutoff by a range of `_id` (MongoDB: the `_id` index; FerretDB: a read of this
 * collection, which holds only former customers awaiting erasure, once a day). Hints are written by
 * CustomerStore.sync from the committed state and dropped by the job once stale (erased, contract resumed, or ended
 * again at another instant): a hint is never trusted, every one is confirmed against the committed record.
 */
@Schema({ collection: 'retention_due', versionKey: false })
export class RetentionDueDoc {
  @Prop({ type: String }) _id!: string;
  @Prop({ required: true }) customerId!: string;
  @Prop({ required: true }) endedAt!: string;
}
// No secondary index: the job reads a range of `_id`, writers insert by `_id`.
export const RetentionDueDocSchema = SchemaFactory.createForClass(RetentionDueDoc);
