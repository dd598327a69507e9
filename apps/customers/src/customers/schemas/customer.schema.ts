import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import type { CustomerRecord } from '../customer-record';

/**
 * The read model of live customers: the committed record. It is a projection of the event log and the revisions
 * (see CustomersService), rebuilt by `CustomerStore.sync`; erased customers have no document here. Read by `_id`
 * only: lookups by e-mail, phone and identity code go through the `customer_lookups` slots, by customer number
 * through `customer_numbers` (FerretDB v1 answers no other filter from an index). Documents written before that
 * also carry `emails`, `phones` and `identityCodeHash` at the top level, no longer read.
 */
@Schema({ collection: 'customers', versionKey: false })
export class CustomerDoc {
  @Prop({ type: String }) _id!: string;
  /** The event sequence the document reflects. */
  @Prop({ required: true }) version!: number;
  @Prop({ required: true }) customerNumber!: string;
  @Prop({ type: Object, required: true }) record!: CustomerRecord;
}
export const CustomerDocSchema = SchemaFactory.createForClass(CustomerDoc);
