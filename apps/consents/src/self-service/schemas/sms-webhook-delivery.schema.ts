import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/**
 * Signed SMS webhook requests already accepted, so that a captured request cannot be replayed while its timestamp
 * is still fresh. `_id` is the digest of the signature (unique by construction: the insert is the check, across
 * instances); documents older than the freshness window are deleted as new ones arrive.
 */
@Schema({ collection: 'sms_webhook_deliveries', versionKey: false })
export class SmsWebhookDeliveryDoc {
  @Prop({ type: String, required: true })
  _id!: string;

  @Prop({ required: true })
  receivedAt!: Date;
}

export const SmsWebhookDeliverySchema = SchemaFactory.createForClass(SmsWebhookDeliveryDoc);
// No secondary index: the replay check is an insert by _id; the clean-up scans a collection of a few minutes.
