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

  /**
   * Every identifier the customer or one of its contact persons holds or held, with when (contract v1.1 §3 "Who an
   * entry binds"): `{key, owner, person?, from, until?}`, times in epoch ms, `until` absent while held.
   */
  @Prop({ type: [Object], default: undefined })
  holdings?: { key: string; owner: string; person?: string; from: number; until?: number }[];

  @Prop({ type: String })
  kind?: string;

  @Prop({ type: Boolean })
  activeContract?: boolean;

  @Prop()
  erasedAt?: Date;
}

// No secondary index: read by `_id` only. "Which customer holds this identifier?" is answered by the slot documents
// of `customer_identifiers` (CustomerDirectoryRepository), since FerretDB v1 answers no other filter from an index.
export const CustomerContactsSchema = SchemaFactory.createForClass(CustomerContactsDoc);
