import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import type { CustomerRecord } from '../customer-record';

/**
 * The read model of live customers: the committed record, plus the lookup keys at the top level. It is a
 * projection of the event log and the revisions (see CustomersService), rebuilt by `CustomerStore.sync`;
 * erased customers have no document here.
 */
@Schema({ collection: 'customers', versionKey: false })
export class CustomerDoc {
  @Prop({ type: String }) _id!: string;
  /** The event sequence the document reflects. */
  @Prop({ required: true }) version!: number;
  @Prop({ required: true }) customerNumber!: string;
  @Prop({ type: [String], default: [] }) emails!: string[];
  @Prop({ type: [String], default: [] }) phones!: string[];
  @Prop() identityCodeHash?: string;
  @Prop({ type: Object, required: true }) record!: CustomerRecord;
}
export const CustomerDocSchema = SchemaFactory.createForClass(CustomerDoc);
// GET /v1/customers?customerNumber=
CustomerDocSchema.index({ customerNumber: 1 });
// GET /v1/customers?email=
CustomerDocSchema.index({ emails: 1 });
// GET /v1/customers?phone=
CustomerDocSchema.index({ phones: 1 });
// POST /v1/customers/search {personalIdentityCode}: by keyed hash, never by the code
CustomerDocSchema.index({ identityCodeHash: 1 });
