import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/**
 * Read model: each customer's current ban, projected from the service's own event log. A lifted ban stays as
 * an inactive document holding its sequence, so that a late replay of an older `set` cannot bring it back.
 */
@Schema({ collection: 'bans', versionKey: false })
export class DirectoryBanDoc {
  /** The customer id (the aggregate id of the ban events). */
  @Prop({ type: String }) _id!: string;
  @Prop({ required: true }) sequence!: number;
  @Prop({ required: true }) active!: boolean;
  @Prop() scope?: string;
  @Prop({ type: [String], default: undefined }) hiddenFields?: string[];
  @Prop({ type: [String], default: undefined }) outlets?: string[];
  @Prop() since?: string;
  @Prop() reason?: string;
  @Prop() setBy?: string;
  @Prop() liftedAt?: string;
  @Prop() liftedBy?: string;
}

export const DirectoryBanDocSchema = SchemaFactory.createForClass(DirectoryBanDoc);
// GET /v1/directory-bans (active bans in customer-id order, keyset paging by _id) and the export's merge join.
DirectoryBanDocSchema.index({ active: 1, _id: 1 });
