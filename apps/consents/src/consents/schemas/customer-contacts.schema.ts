import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/**
 * What consents keeps of a customer (a projection of `kielto.customers.v1`): which ledger subjects belong to
 * it, so that entries recorded against the customer id or any of its e-mail addresses or phone numbers apply
 * to the customer, and its language for the preference page. Identifiers are keyed hashes only.
 */
@Schema({ collection: 'customer_contacts', versionKey: false })
export class CustomerContactsDoc {
  /** The customer id. */
  @Prop({ type: String, required: true })
  _id!: string;

  /** Envelope sequence of the newest customer event applied (older redeliveries change nothing). */
  @Prop({ required: true })
  sequence!: number;

  /** Ledger subject keys of the customer's identifiers: `email:<hash>`, `phone:<hash>`. */
  @Prop({ type: [String], default: [] })
  subjects!: string[];

  @Prop({ type: String })
  language?: string;

  @Prop()
  erasedAt?: Date;
}

export const CustomerContactsSchema = SchemaFactory.createForClass(CustomerContactsDoc);
// "which customer does this e-mail/phone subject belong to?" (GET /v1/consents?email=, the preference page).
CustomerContactsSchema.index({ subjects: 1 });
