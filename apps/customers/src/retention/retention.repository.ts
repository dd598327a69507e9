import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { RetentionRunDoc } from './schemas/retention-run.schema';

const isDuplicateKey = (e: unknown) => (e as { code?: number }).code === 11000;

export interface RunSummary {
  erased: number;
  held: number;
  failed: number;
}

/** The only file that touches the retention runs (the leases of scheduled runs). */
@Injectable()
export class RetentionRepository {
  constructor(@InjectModel(RetentionRunDoc.name) private readonly runs: Model<RetentionRunDoc>) {}

  /** False when another instance holds the run already: the unique `_id` is the lease. */
  async claim(runId: string, trigger: RetentionRunDoc['trigger'], instance: string): Promise<boolean> {
    try {
      await this.runs.create({ _id: runId, trigger, instance, startedAt: new Date() });
      return true;
    } catch (error) {
      if (isDuplicateKey(error)) return false;
      throw error;
    }
  }

  /** Written once, by the instance that claimed the run. */
  async finish(runId: string, summary: RunSummary): Promise<void> {
    await this.runs.updateOne({ _id: runId }, { $set: { finishedAt: new Date(), ...summary } });
  }
}
