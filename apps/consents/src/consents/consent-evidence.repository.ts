import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { byId, insertNew } from '@kielto/platform';
import { ConsentEvidenceDoc } from './schemas/consent-evidence.schema';

/** The free text of an entry (see ConsentEvidenceDoc). */
export interface PrivateEvidence {
  source: string;
  noticeVersion?: string;
  reference?: string;
  agent?: string;
}

/** The only file that touches the consent_evidence collection; every access is by `_id` (the entry id). */
@Injectable()
export class ConsentEvidenceRepository {
  constructor(@InjectModel(ConsentEvidenceDoc.name) private readonly docs: Model<ConsentEvidenceDoc>) {}

  /** Idempotent: an attempt repeated with the same entry id keeps the first. */
  async save(entryId: string, evidence: PrivateEvidence): Promise<void> {
    await this.saveMany([{ entryId, evidence }]);
  }

  /** `save` for many entries, in few commands (a bulk import). */
  async saveMany(entries: readonly { entryId: string; evidence: PrivateEvidence }[]): Promise<void> {
    await insertNew(
      this.docs,
      entries.map(({ entryId, evidence }) => ({ _id: entryId, ...evidence })),
    );
  }

  /** The evidence of each entry that has some, by entry id. */
  async find(entryIds: readonly string[]): Promise<Map<string, PrivateEvidence>> {
    const docs = await Promise.all(entryIds.map((id) => byId<ConsentEvidenceDoc>(this.docs, id)));
    return new Map(
      docs.filter((doc) => doc !== null).map(({ _id, ...evidence }) => [_id, evidence as PrivateEvidence] as const),
    );
  }

  async delete(entryIds: readonly string[]): Promise<void> {
    await Promise.all(entryIds.map((id) => this.docs.deleteOne({ _id: id })));
  }
}
