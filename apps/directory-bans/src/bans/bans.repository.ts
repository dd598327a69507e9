import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { DirectoryBanScope, DirectoryField, DirectoryOutlet } from '@kielto/contracts';
import { byId, KeyedQueue } from '@kielto/platform';
import { BanState } from './ban-history';
import { DirectoryBan } from './directory-ban.types';
import { DirectoryBanDoc } from './schemas/directory-ban.schema';

const BAN_FIELDS = ['scope', 'hiddenFields', 'outlets', 'since', 'reason', 'setBy', 'liftedAt', 'liftedBy'] as const;
type BanField = (typeof BAN_FIELDS)[number];

const isDuplicateKey = (e: unknown) =>
  (e as { code?: number }).code === 11000 || /E11000|duplicate key/i.test(String((e as Error)?.message));

function toBan(d: DirectoryBanDoc): DirectoryBan {
  return {
    customerId: d._id,
    scope: d.scope as DirectoryBanScope,
    hiddenFields: (d.hiddenFields ?? []) as DirectoryField[],
    outlets: (d.outlets ?? []) as DirectoryOutlet[],
    ...(d.reason != null ? { reason: d.reason } : {}),
    ...(d.setBy != null ? { setBy: d.setBy } : {}),
    since: d.since ?? '',
    sequence: d.sequence,
  };
}

/** The only place that touches the bans read model. */
@Injectable()
export class BansRepository {
  constructor(@InjectModel(DirectoryBanDoc.name) private readonly bans: Model<DirectoryBanDoc>) {}

  /** Projections of one customer run one at a time in this process (see apply). */
  private readonly queue = new KeyedQueue();

  /**
   * Makes the read model reflect a ban event unless it already holds that event or a newer one. The held sequence
   * is read and the document written by `_id` alone: FerretDB v1 reads the whole collection for any other filter
   * (a conditional `{_id, sequence: {$lt}}` included), and its updates are not atomic anyway. The projector runs
   * after an append and again when the relay publishes, possibly at the same moment: the queue makes those runs
   * take turns, so an older event never overwrites a newer one within this process.
   */
  apply(state: BanState): Promise<void> {
    return this.queue.run(state.customerId, () => this.applyNow(state));
  }

  private async applyNow(state: BanState, attempt = 0): Promise<void> {
    const held = await byId<Pick<DirectoryBanDoc, 'sequence'>>(this.bans, state.customerId, { sequence: 1 });
    if (held && held.sequence >= state.sequence) return;
    const fields: Partial<Record<BanField, unknown>> = state.active
      ? {
          scope: state.ban.scope,
          hiddenFields: state.ban.hiddenFields,
          outlets: state.ban.outlets,
          since: state.ban.since,
          reason: state.ban.reason,
          setBy: state.ban.setBy,
        }
      : { liftedAt: state.liftedAt, liftedBy: state.liftedBy };
    const set: Record<string, unknown> = { sequence: state.sequence, active: state.active };
    const unset: Record<string, 1> = {};
    for (const field of BAN_FIELDS) {
      if (fields[field] !== undefined) set[field] = fields[field];
      else unset[field] = 1;
    }
    const update = Object.keys(unset).length > 0 ? { $set: set, $unset: unset } : { $set: set };
    try {
      await this.bans.updateOne({ _id: state.customerId }, update, { upsert: true });
    } catch (error) {
      // Another instance inserted the document first: read its sequence again and decide.
      if (!isDuplicateKey(error) || attempt > 0) throw error;
      await this.applyNow(state, attempt + 1);
    }
  }

  /** The customer's ban in force, read by `_id`; undefined when none. */
  async inForce(customerId: string): Promise<DirectoryBan | undefined> {
    const doc = await byId<DirectoryBanDoc>(this.bans, customerId);
    return doc?.active ? toBan(doc) : undefined;
  }

  /** Active bans in customer-id order, after the given customer id. */
  async list(limit: number, after?: string): Promise<DirectoryBan[]> {
    const docs = await this.bans
      .find({ active: true, ...(after !== undefined ? { _id: { $gt: after } } : {}) })
      .sort({ _id: 1 })
      .limit(limit)
      .lean<DirectoryBanDoc[]>();
    return docs.map(toBan);
  }

  /** Every active ban in customer-id order, streamed from a cursor (the export's merge join). */
  async *activeInIdOrder(batchSize: number): AsyncGenerator<DirectoryBan> {
    const cursor = this.bans
      .find({ active: true }, { liftedAt: 0, liftedBy: 0 })
      .sort({ _id: 1 })
      .lean<DirectoryBanDoc[]>()
      .cursor({ batchSize });
    try {
      for await (const doc of cursor) yield toBan(doc);
    } finally {
      await cursor.close();
    }
  }
}
