import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { ListingAddress } from '../listing.types';

/**
 * The directory listing of each customer, projected from `kielto.customers.v1`. Restricted customers keep their
 * data (R7 allows storing it) but are not publishable, nor are former customers (`activeContract` false, R9). Erased customers leave a tombstone that holds only the
 * sequence, so that a replayed older event cannot bring their data back (R8).
 */
@Schema({ collection: 'listings', versionKey: false })
export class ListingDoc {
  /** The customer id. */
  @Prop({ type: String }) _id!: string;
  @Prop({ required: true }) sequence!: number;
  @Prop({ required: true }) publishable!: boolean;
  @Prop() erased?: boolean;
  @Prop() customerNumber?: string;
  @Prop() name?: string;
  @Prop() phone?: string;
  @Prop({ type: Object }) address?: ListingAddress;
}

export const ListingDocSchema = SchemaFactory.createForClass(ListingDoc);
// GET /v1/directory/export: publishable listings in customer-id order (merge-joined with the bans).
ListingDocSchema.index({ publishable: 1, _id: 1 });
