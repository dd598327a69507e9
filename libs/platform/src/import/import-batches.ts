import { Model, Schema } from 'mongoose';
import { insertNew } from '../mongo/bulk-write';
import type { BatchDigest } from './import-rows';
import { byId } from '../mongo/by-id';
import { groupBy } from '../group-by';

/** What a batch did, as the bulk routes answer it. */
export interface ImportBatchResult {
  /** Rows in the batch. */
  rows: number;
  /** Rows this batch wrote: on its first attempt, or on a retry that finished what an interrupted attempt began. */
  imported: number;
  /** Rows that were already held before this batch first arrived (an earlier batch or single write made them). */
  alreadyPresent: number;
  /** The batch's identity (the digest of its rows). */
  batch: BatchDigest;
  /** The batch had been completed before: nothing was written now, the counts are those of its completion. */
  replayed: boolean;
}

/**
 * The ledger of a service's import batches, one document per batch digest, read and written by `_id` only (the
 * one filter FerretDB v1 serves from an index). It is written before the batch's rows (with how many of them were
 * present then) and completed after them: so a retry knows whether the batch was begun, and its answer counts the
 * rows the earlier attempt wrote as imported, not as already present.
 */
export interface ImportBatchDoc {
  _id: string;
  /** The client's key of the attempt that began the batch (its Idempotency-Key; else the digest). */
  attempt: string;
  rows: number;
  presentBefore: number;
  startedAt: Date;
  completedAt?: Date;
}

export function importBatchSchema(collection = 'import_batches'): Schema<ImportBatchDoc> {
  return new Schema<ImportBatchDoc>(
    {
      _id: { type: String },
      attempt: { type: String, required: true },
      rows: { type: Number, required: true },
      presentBefore: { type: Number, required: true },
      startedAt: { type: Date, required: true },
      completedAt: { type: Date },
    },
    { collection, versionKey: false },
  );
}

/** A row an import claimed (ImportBatches.claim): `_id` is the row's key, e.g. the imported customer's id. */
export interface ImportRowClaimDoc {
  _id: string;
  /** The digest of the batch that claimed it first. */
  batch: string;
  at: Date;
}

export function importRowClaimSchema(collection: string): Schema<ImportRowClaimDoc> {
  return new Schema<ImportRowClaimDoc>(
    { _id: { type: String }, batch: { type: String, required: true }, at: { type: Date, required: true } },
    { collection, versionKey: false },
  );
}

/** How a service writes one batch of rows: one at a time (`write`) or all at once (`writeMany`). */
export type ImportPlan<R> = ImportPlanCommon<R> &
  (
    | {
        /**
         * Writes a row that was not present, as the single write would (same events, same outbox). `resumed`: an
         * earlier attempt of this batch may have written it in part (e.g. its event without the marker that
         * `isPresent` reads). Rows of one lane are written one after the other.
         */
        write(row: R, resumed: boolean): Promise<void>;
      }
    | {
        /**
         * Writes every row that was not present at once, as `write` would one by one (the bulk path: the writes in
         * few commands and one wait for Kafka). Rows come in batch order; the service keeps each lane's order.
         */
        writeMany(rows: R[], resumed: boolean): Promise<void>;
      }
  );

/** What every plan gives; every callback must be idempotent. */
export interface ImportPlanCommon<R> {
  digest: BatchDigest;
  /**
   * The client's Idempotency-Key for this batch. Sent again with the same rows (a retry) the answer counts what the
   * earlier attempts wrote as imported; the same rows under another key (the file run again) count as present.
   */
  attempt?: string;
  rows: readonly R[];
  /** Whether the row is held already (cheap: reads by `_id`). */
  isPresent(row: R): Promise<boolean>;
  /**
   * What names the row across batches (the id its write gives it): with it, a row no import claimed before is known
   * absent without `isPresent` (ImportBatches.claim). Only for rows that nothing but an import writes under that id.
   */
  rowKey?(row: R): string;
  /**
   * A row found present when resuming an interrupted batch: finish what the attempt may have left (a proposal
   * without its event) and return once its events are on Kafka, so that the batch's acknowledgement covers it.
   */
  confirm(row: R): Promise<void>;
  /** Rows of one lane are written one after the other, in order (e.g. one consent subject's entries). */
  lane?(row: R): string;
  /** Lanes written at once. */
  concurrency: number;
  /** Validate only (the rows were read and checked): write nothing, record nothing. */
  dryRun?: boolean;
}

const isDuplicateKey = (e: unknown) =>
  (e as { code?: number }).code === 11000 || /E11000|duplicate key/i.test(String((e as Error)?.message));

/**
 * All-or-nothing batches without transactions: a batch is idempotent by its digest and every row by its
 * deterministic id, so a batch that fails part-way (a 503 while its events wait for Kafka, a crash, a lost answer)
 * is completed by sending it again, and a completed batch sent again writes nothing. A batch answers 2xx only once
 * all of its rows are written and on Kafka.
 */
export class ImportBatches {
  constructor(
    private readonly model: Model<ImportBatchDoc>,
    /** The service's claims of imported rows (see `claim`); without it every row is read to decide presence. */
    private readonly claims?: Model<ImportRowClaimDoc>,
  ) {}

  async run<R>(plan: ImportPlan<R>): Promise<ImportBatchResult> {
    const rows = plan.rows.length;
    const attempt = plan.attempt ?? plan.digest;
    const result = (imported: number, replayed: boolean) => ({
      rows,
      imported,
      alreadyPresent: rows - imported,
      batch: plan.digest,
      replayed,
    });
    if (plan.dryRun) return { rows, imported: 0, alreadyPresent: 0, batch: plan.digest, replayed: false };
    let earlier = await byId<ImportBatchDoc>(this.model, plan.digest);
    if (earlier?.completedAt) return result(earlier.attempt === attempt ? rows - earlier.presentBefore : 0, true);
    const claimedBefore = await this.claim(plan);
    const present = await mapLimited(
      plan.rows.map((row, i) => ({ row, i })),
      plan.concurrency,
      async ({ row, i }) => claimedBefore[i] && (await plan.isPresent(row)),
    );
    const presentNow = present.filter(Boolean).length;
    if (!earlier) {
      try {
        await this.model.create({ _id: plan.digest, attempt, rows, presentBefore: presentNow, startedAt: new Date() });
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
        // The same batch arrived twice at once (a client retry racing its first attempt): both finish it.
        earlier = await byId<ImportBatchDoc>(this.model, plan.digest);
      }
    }
    // Begun before: an interrupted attempt may have left rows half-written, which `write` and `confirm` complete.
    const resumed = earlier !== null;
    const presentBefore = earlier?.attempt === attempt ? earlier.presentBefore : presentNow;
    if ('writeMany' in plan) {
      const absent = plan.rows.filter((_, i) => !present[i]);
      // A row another batch claimed and did not finish may be half-written too (that batch was interrupted).
      const partial = resumed || plan.rows.some((_, i) => claimedBefore[i] && !present[i]);
      const settled = await Promise.allSettled([
        absent.length > 0 ? plan.writeMany(absent, partial) : undefined,
        resumed
          ? mapLimited(
              plan.rows.filter((_, i) => present[i]),
              plan.concurrency,
              (row) => plan.confirm(row),
            )
          : [],
      ]);
      for (const outcome of settled) if (outcome.status === 'rejected') throw outcome.reason;
    } else {
      const lanes = groupBy(plan.rows.keys(), (i) => plan.lane?.(plan.rows[i]) ?? String(i));
      await mapLimited([...lanes.values()], plan.concurrency, async (indexes) => {
        for (const i of indexes) {
          const row = plan.rows[i];
          if (!present[i]) await plan.write(row, resumed);
          else if (resumed) await plan.confirm(row);
        }
      });
    }
    await this.model.updateOne({ _id: plan.digest }, { $set: { completedAt: new Date() } });
    return result(rows - presentBefore, false);
  }

  /**
   * Claims every row of the plan by its key (one blind insert each, in few commands) and answers, per row, whether
   * it had been claimed before. Every import claims its rows before writing any of them, so a row never claimed is
   * held by nobody and needs no read (on FerretDB a read by `_id` costs as much as writing a row in bulk, and it
   * does not run in parallel); a row claimed before (by an earlier batch, or by an interrupted attempt of this one)
   * is asked `isPresent`. Without keys or a claims collection, every row is asked.
   */
  private async claim<R>(plan: ImportPlan<R>): Promise<boolean[]> {
    if (!this.claims || !plan.rowKey) return plan.rows.map(() => true);
    const rowKey = plan.rowKey.bind(plan);
    const at = new Date();
    const inserted = await insertNew(
      this.claims,
      plan.rows.map((row) => ({ _id: rowKey(row), batch: plan.digest, at })),
    );
    return inserted.map((fresh) => !fresh);
  }
}

/** `items.map(fn)` with at most `limit` calls in flight; the first failure fails the whole (after the rest settle). */
export async function mapLimited<T, U>(items: readonly T[], limit: number, fn: (item: T) => Promise<U>): Promise<U[]> {
  const results = new Array<U>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (next < items.length && !failure) {
      const i = next++;
      try {
        results[i] = await fn(items[i]);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure) throw failure.error;
  return results;
}
