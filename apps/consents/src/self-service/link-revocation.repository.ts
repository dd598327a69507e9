import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { LinkRevocationDoc } from './schemas/link-revocation.schema';
import { byId } from '@kielto/platform';

export interface LinkRevocation {
  subjectKey: string;
  revokedBefore: Date;
}

/** The only file that touches the unsubscribe_link_revocations collection. */
@Injectable()
export class LinkRevocationRepository {
  constructor(@InjectModel(LinkRevocationDoc.name) private readonly docs: Model<LinkRevocationDoc>) {}

  /**
   * Moves the subject's marker to `at`, never back: of two revocations racing, the later instant stays
   * (`$max`), so no link made before either of them works again.
   */
  async revoke(subjectKey: string, at: Date, revokedBy: string, requestId?: string): Promise<LinkRevocation> {
    await this.docs.updateOne(
      { _id: subjectKey },
      { $max: { revokedBefore: at }, $set: { revokedBy, ...(requestId ? { requestId } : {}) } },
      { upsert: true },
    );
    return { subjectKey, revokedBefore: at };
  }

  /** The latest marker among these subject keys (one `_id` lookup each), or undefined when none has one. */
  async latestOf(subjectKeys: readonly string[]): Promise<Date | undefined> {
    const found = await Promise.all(subjectKeys.map((key) => byId(this.docs, key, { revokedBefore: 1 })));
    let latest: Date | undefined;
    for (const doc of found) if (doc && (!latest || doc.revokedBefore > latest)) latest = doc.revokedBefore;
    return latest;
  }
}
