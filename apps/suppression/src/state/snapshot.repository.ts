import { Logger } from '@nestjs/common';
import type { mongo } from 'mongoose';
import { applyChunk, EncodedChunk } from './snapshot-codec';
import type { SuppressionState } from './suppression-state';

/** Where the consumer resumes on one topic-partition: the next offset to read. */
export interface Position {
  topic: string;
  partition: number;
  next: string;
}

interface Head {
  _id: string;
  /** Number of the snapshot in force (0: none yet). */
  number: number;
  chunks: number;
  facts: number;
  positions: Position[];
  takenAt: Date;
  /** Set while snapshot `writing` is being written: its chunks may be left behind by a crash. */
  writing?: number;
  /** `SNAPSHOT_FORMAT` of the snapshot in force; absent before contract v1.1 (format 1). */
  format?: number;
}

interface Chunk {
  _id: string;
  /** `<instance>:<number>` */
  snapshot: string;
  data: Buffer;
}

/**
 * The layout of the facts in a snapshot. A snapshot of another format (one written before contract v1.1, whose
 * customers lack holding times, products and the relationship) is not loaded: the instance rebuilds from the
 * topics, which hold everything v1.1 needs, and its next snapshot replaces the old one.
 */
export const SNAPSHOT_FORMAT = 2;

/** Chunks requested from the database ahead of the one being applied at a cold start. */
const READ_AHEAD = 3;

/** The driver's collection (mongoose's, or the plain driver's: the bench seeds snapshots directly). */
type Docs = mongo.Collection<Head | Chunk>;

/**
 * Suppression's only persistent state: a snapshot of the in-memory index, in a few large compressed chunks,
 * with the topic positions it includes. A cold start reads a few dozen documents instead of one per customer
 * and ledger entry, then consumes the topics from those positions; a replay writes nothing per event.
 *
 * A snapshot is switched in by one single-document write of the head, after all its chunks are stored, so a
 * crash at any point leaves the previous snapshot whole (no transactions needed, on FerretDB or MongoDB). The
 * chunks of the snapshot it replaced are deleted by id afterwards; those of an interrupted write are found by
 * the `writing` mark and deleted before the next one. Each instance keeps its own snapshot (ids are prefixed
 * with the instance id), so instances sharing a database never touch each other's.
 */
export class SnapshotRepository {
  private readonly logger = new Logger(SnapshotRepository.name);
  private readonly docs: Docs;
  private readonly headId: string;

  constructor(
    collection: unknown,
    private readonly instance: string,
  ) {
    this.docs = collection as Docs;
    this.headId = `head:${instance}`;
  }

  private snapshotName(number: number): string {
    return `${this.instance}:${number}`;
  }

  private chunkId(number: number, index: number): string {
    return `chunk:${this.snapshotName(number)}:${index}`;
  }

  private async head(): Promise<Head | null> {
    return (await this.docs.findOne({ _id: this.headId })) as Head | null;
  }

  /**
   * Loads the snapshot in force into an empty state and returns its positions (none: consume from the start).
   * Throws when a chunk is missing or the facts do not add up: the service must not answer from a partial list.
   */
  async load(state: SuppressionState): Promise<{ number: number; facts: number; positions: Position[] }> {
    const head = await this.head();
    if (!head) return { number: 0, facts: 0, positions: [] };
    if (head.writing !== undefined) await this.discardInterrupted(head.writing);
    if ((head.format ?? 1) !== SNAPSHOT_FORMAT) {
      this.logger.warn(
        { snapshot: head.number, format: head.format ?? 1, expected: SNAPSHOT_FORMAT },
        'snapshot of another format: rebuilding from the topics',
      );
      return { number: head.number, facts: 0, positions: [] };
    }
    let facts = 0;
    // A few chunks are read ahead while one is applied: the database works on the next ones meanwhile.
    const reads: (Promise<Buffer> | undefined)[] = [];
    const readAhead = (upTo: number) => {
      while (reads.length < Math.min(head.chunks, upTo)) {
        const read = this.readChunk(head.number, reads.length);
        read.catch(() => undefined); // a failed read is reported when its turn comes, not as an unhandled rejection
        reads.push(read);
      }
    };
    for (let i = 0; i < head.chunks; i++) {
      readAhead(i + READ_AHEAD + 1);
      facts += applyChunk(state, await reads[i]!);
      reads[i] = undefined; // hand the chunk back as soon as it is applied
    }
    if (facts !== head.facts) {
      throw new Error(`snapshot ${head.number} holds ${facts} facts, its head says ${head.facts}`);
    }
    return { number: head.number, facts, positions: head.positions };
  }

  private async readChunk(snapshot: number, index: number): Promise<Buffer> {
    const doc = (await this.docs.findOne(
      { _id: this.chunkId(snapshot, index) },
      { promoteBuffers: true },
    )) as Chunk | null;
    if (!doc) throw new Error(`snapshot ${snapshot} is missing chunk ${index}`);
    return doc.data;
  }

  /** Stores a snapshot and switches it in; returns its number. */
  async write(chunks: EncodedChunk[], positions: Position[]): Promise<number> {
    const head = await this.head();
    if (head?.writing !== undefined) await this.discardInterrupted(head.writing);
    const number = (head?.number ?? 0) + 1;
    // Mark the write first, so that a crash in the middle leaves a trace of the chunks it stored.
    if (head) await this.docs.updateOne({ _id: this.headId }, { $set: { writing: number } });
    else await this.docs.insertOne({ ...this.emptyHead(), writing: number });
    for (let i = 0; i < chunks.length; i++) {
      await this.docs.insertOne({
        _id: this.chunkId(number, i),
        snapshot: this.snapshotName(number),
        data: chunks[i].data,
      });
    }
    const facts = chunks.reduce((sum, c) => sum + c.facts, 0);
    const next: Head = {
      _id: this.headId,
      number,
      chunks: chunks.length,
      facts,
      positions,
      takenAt: new Date(),
      format: SNAPSHOT_FORMAT,
    };
    await this.docs.replaceOne({ _id: this.headId }, next);
    if (head && head.chunks > 0) {
      const old = Array.from({ length: head.chunks }, (_, i) => this.chunkId(head.number, i));
      await this.docs.deleteMany({ _id: { $in: old } });
    }
    return number;
  }

  /** Rare (a crash while a snapshot was written): a query by field, which reads the whole collection on FerretDB. */
  private emptyHead(): Head {
    return { _id: this.headId, number: 0, chunks: 0, facts: 0, positions: [], takenAt: new Date() };
  }

  private async discardInterrupted(snapshot: number): Promise<void> {
    const { deletedCount } = await this.docs.deleteMany({ snapshot: this.snapshotName(snapshot) });
    await this.docs.updateOne({ _id: this.headId }, { $unset: { writing: 1 } });
    this.logger.warn({ snapshot, chunks: deletedCount }, 'discarded the chunks of an interrupted snapshot');
  }
}
