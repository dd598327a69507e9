import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import type { CampaignClearance } from '@kielto/contracts';
import { ClearanceDoc } from './schemas/clearance.schema';

/** The HTTP shape of a clearance, shared with the console through the contracts. */
export type ClearanceRecord = CampaignClearance;

/** Listing more than this many clearances of one campaign at once is not useful to anyone. */
const LIST_LIMIT = 1000;

@Injectable()
export class ClearanceRepository {
  constructor(@InjectModel(ClearanceDoc.name) private readonly clearances: Model<ClearanceDoc>) {}

  async insert(record: ClearanceRecord): Promise<void> {
    const { id, at, asOf, ...rest } = record;
    await this.clearances.create({ _id: id, at: new Date(at), asOf: new Date(asOf), ...rest });
  }

  /** Newest first. */
  async list(campaignId: string): Promise<ClearanceRecord[]> {
    const docs = await this.clearances.find({ campaignId }).sort({ at: -1, _id: 1 }).limit(LIST_LIMIT).lean();
    return docs.map((d) => ({
      id: d._id,
      campaignId: d.campaignId,
      at: d.at.toISOString(),
      actor: d.actor,
      channel: d.channel,
      purpose: d.purpose,
      ...(d.product ? { product: d.product } : {}),
      total: d.total,
      allowed: d.allowed,
      suppressed: d.suppressed,
      inputSha256: d.inputSha256,
      asOf: d.asOf.toISOString(),
    }));
  }
}
