import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { SmsWebhookDeliveryDoc } from './schemas/sms-webhook-delivery.schema';

const CLEAN_UP_EVERY_MS = 60_000;

/** The only file that touches the sms_webhook_deliveries collection. */
@Injectable()
export class SmsWebhookDeliveryRepository {
  private lastCleanUp = 0;

  constructor(@InjectModel(SmsWebhookDeliveryDoc.name) private readonly docs: Model<SmsWebhookDeliveryDoc>) {}

  /**
   * Records a delivery; false when it was recorded before (a replay). The unique `_id` makes this one step even
   * with several instances. Deliveries older than `keepMs` are forgotten now and then: by then their timestamp is
   * too old to be accepted anyway.
   */
  async firstSeen(id: string, now: Date, keepMs: number): Promise<boolean> {
    if (now.getTime() - this.lastCleanUp >= CLEAN_UP_EVERY_MS) {
      this.lastCleanUp = now.getTime();
      await this.docs.deleteMany({ receivedAt: { $lt: new Date(now.getTime() - keepMs) } });
    }
    try {
      await this.docs.create({ _id: id, receivedAt: now });
      return true;
    } catch (error) {
      if ((error as { code?: unknown }).code === 11000) return false;
      throw error;
    }
  }
}
