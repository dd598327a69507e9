import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/**
 * Inbound SMS keywords that are evidence but not ledger decisions. `START` grants nothing by itself (consent
 * must be specific and informed), and the ledger's decisions are fixed by contract, so a START is kept here as
 * proof of what the person sent. The number is held only as its keyed hash.
 */
@Schema({ collection: 'sms_keywords', versionKey: false })
export class SmsKeywordDoc {
  @Prop({ type: String, required: true })
  _id!: string;

  @Prop({ required: true })
  keyword!: string;

  /** How it arrived, in the ledger's vocabulary of sources: `sms-start`. */
  @Prop({ required: true })
  source!: string;

  /** Ledger subject key of the sender: `phone:<hash>`. */
  @Prop({ required: true })
  subjectKey!: string;

  @Prop({ required: true })
  receivedAt!: Date;
}

export const SmsKeywordSchema = SchemaFactory.createForClass(SmsKeywordDoc);
// data-subject export and erasure: "what did this number send?"
SmsKeywordSchema.index({ subjectKey: 1, receivedAt: 1 });
