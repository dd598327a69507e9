import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { randomUUID } from 'node:crypto';
import { Model } from 'mongoose';
import { SmsKeywordDoc } from './schemas/sms-keyword.schema';

export interface SmsKeywordRecord {
  id: string;
  keyword: string;
  source: string;
  subjectKey: string;
  receivedAt: Date;
}

/** The only file that touches the sms_keywords collection. */
@Injectable()
export class SmsKeywordRepository {
  constructor(@InjectModel(SmsKeywordDoc.name) private readonly docs: Model<SmsKeywordDoc>) {}

  async add(keyword: string, source: string, subjectKey: string, receivedAt = new Date()): Promise<SmsKeywordRecord> {
    const id = randomUUID();
    await this.docs.create({ _id: id, keyword, source, subjectKey, receivedAt });
    return { id, keyword, source, subjectKey, receivedAt };
  }

  /** Erasure: the keywords sent from these numbers (subject keys) go with the ledger. */
  async deleteFor(subjectKeys: string[]): Promise<number> {
    const result = await this.docs.deleteMany({ subjectKey: { $in: subjectKeys } });
    return result.deletedCount;
  }

  async listFor(subjectKey: string): Promise<SmsKeywordRecord[]> {
    const docs = await this.docs.find({ subjectKey }).sort({ receivedAt: 1 }).lean();
    return docs.map((d) => ({
      id: d._id,
      keyword: d.keyword,
      source: d.source,
      subjectKey: d.subjectKey,
      receivedAt: d.receivedAt,
    }));
  }
}
