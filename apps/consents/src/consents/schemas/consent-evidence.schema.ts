import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/**
 * The free text of a ledger entry (R6: how it was captured, in the caller's words): `_id` is the entry id. Kept in
 * this database only, never on Kafka, whose consents topic keeps every event for ever (GDPR Art 17: erasure must be
 * able to reach it); erasure deletes it with the entry. Read by `_id` when a ledger is shown.
 */
@Schema({ collection: 'consent_evidence', versionKey: false })
export class ConsentEvidenceDoc {
  @Prop({ type: String }) _id!: string;
  @Prop({ required: true }) source!: string;
  @Prop() noticeVersion?: string;
  @Prop() reference?: string;
  @Prop() agent?: string;
}
export const ConsentEvidenceSchema = SchemaFactory.createForClass(ConsentEvidenceDoc);
