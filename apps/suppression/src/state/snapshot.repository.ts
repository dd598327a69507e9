import { Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { FileHandle, mkdir, open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { mongo } from 'mongoose';
import { applyChunk, EncodedChunk } from '../engine';
import type { SuppressionState } from '../engine';

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
  /** SHA-256 hex over its chunks' data in order: what a local copy must match (absent on older snapshots). */
  sha256?: string;
}

/** The first line of a local copy, then one JSON line (`LocalHeader`), then the chunks' data back to back. */
const LOCAL_MAGIC = 'kielto-suppression-snapshot\n';

interface LocalHeader {
  number: number;
  format: number;
  facts: number;
  sha256: string;
  /** byte length of each chunk */
  lengths: number[];
}

interface Chunk {
  _id: string;
  /** `<instance>:<number>` */
  snapshot: string;
  data: Buffer;
}

/**
 * The layout of the facts in a snapshot (snapshot-codec.ts). A snapshot of another format is not loaded: the
 * instance rebuilds from the topics, which hold everything, and its next snapshot replaces the old one. Format 1
 * was v1's JSON (customers without holding times, products or the relationship), 2 contract v1.1's JSON tuples,
 * 3 the binary chunks.
 */
export const SNAPSHOT_FORMAT = 3;

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

  /**
   * @param localFile where this instance keeps a copy of its snapshot on local disk (none when undefined). A
   *   cold start reads the database's snapshot at a few MB/s on FerretDB (45 MB at a million identifiers); the
   *   copy is read in milliseconds, and used only when its number and SHA-256 are those of the head in force.
   */
  constructor(
    collection: unknown,
    private readonly instance: string,
    private readonly localFile?: string,
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
    const local = await this.localChunks(head);
    // Read from the database, the chunks are kept for the local copy, so that the next start reads that instead.
    const kept: Buffer[] | undefined = local || !this.localFile ? undefined : [];
    let facts = 0;
    for await (const chunk of local ?? this.databaseChunks(head)) {
      kept?.push(chunk);
      facts += applyChunk(state, chunk);
    }
    if (facts !== head.facts) {
      throw new Error(`snapshot ${head.number} holds ${facts} facts, its head says ${head.facts}`);
    }
    if (kept) await this.writeLocal(head, kept);
    return { number: head.number, facts, positions: head.positions };
  }

  /**
   * The chunks of the snapshot in the database, in order, a few read ahead while one is applied (the database works
   * on the next ones meanwhile); throws at the end when they are not the data the head's SHA-256 names.
   */
  private async *databaseChunks(head: Head): AsyncGenerator<Buffer> {
    const digest = createHash('sha256');
    const reads: (Promise<Buffer> | undefined)[] = [];
    for (let i = 0; i < head.chunks; i++) {
      while (reads.length < Math.min(head.chunks, i + READ_AHEAD + 1)) {
        const read = this.readChunk(head.number, reads.length);
        read.catch(() => undefined); // a failed read is reported when its turn comes, not as an unhandled rejection
        reads.push(read);
      }
      const chunk = await reads[i]!;
      reads[i] = undefined; // held no longer than it is applied
      digest.update(chunk);
      yield chunk;
    }
    if (head.sha256 !== undefined && digest.digest('hex') !== head.sha256) {
      throw new Error(`snapshot ${head.number} does not match its head's SHA-256`);
    }
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
    const digest = createHash('sha256');
    for (const chunk of chunks) digest.update(chunk.data);
    const next: Head = {
      _id: this.headId,
      number,
      chunks: chunks.length,
      facts,
      positions,
      takenAt: new Date(),
      format: SNAPSHOT_FORMAT,
      sha256: digest.digest('hex'),
    };
    await this.docs.replaceOne({ _id: this.headId }, next);
    await this.writeLocal(
      next,
      chunks.map((c) => c.data),
    );
    if (head && head.chunks > 0) {
      const old = Array.from({ length: head.chunks }, (_, i) => this.chunkId(head.number, i));
      await this.docs.deleteMany({ _id: { $in: old } });
    }
    return number;
  }

  /**
   * The chunks of the local copy, read one at a time (memory stays flat), when it is the snapshot `head` names:
   * same number and format, and its data's SHA-256 (read once before any chunk is handed out) the head's.
   * Undefined otherwise, and the database is read instead: a missing, stale or damaged copy only costs time.
   */
  private async localChunks(head: Head): Promise<AsyncGenerator<Buffer> | undefined> {
    if (!this.localFile || head.sha256 === undefined) return undefined;
    let file: FileHandle;
    try {
      file = await open(this.localFile, 'r');
    } catch {
      return undefined; // none yet (the first start on this host)
    }
    try {
      const { header, dataStart } = await readLocalHeader(file);
      if (header.number !== head.number || header.format !== SNAPSHOT_FORMAT || header.sha256 !== head.sha256) {
        throw new Error(`the copy is of snapshot ${header.number}, the head names ${head.number}`);
      }
      const size = header.lengths.reduce((sum, n) => sum + n, 0);
      const digest = createHash('sha256');
      const buffer = Buffer.allocUnsafe(1 << 20);
      for (let at = 0; at < size; ) {
        const { bytesRead } = await file.read(buffer, 0, Math.min(buffer.length, size - at), dataStart + at);
        if (bytesRead === 0) throw new Error('the copy is cut short');
        digest.update(buffer.subarray(0, bytesRead));
        at += bytesRead;
      }
      if ((await file.stat()).size !== dataStart + size || digest.digest('hex') !== head.sha256) {
        throw new Error("the copy's data is not the snapshot's");
      }
      return (async function* () {
        try {
          let at = dataStart;
          for (const length of header.lengths) {
            const chunk = Buffer.allocUnsafe(length);
            const { bytesRead } = await file.read(chunk, 0, length, at);
            if (bytesRead !== length) throw new Error('local snapshot copy changed while it was read');
            at += length;
            yield chunk;
          }
        } finally {
          await file.close();
        }
      })();
    } catch (error) {
      await file.close();
      this.logger.warn({ err: error, snapshot: head.number }, 'local snapshot copy not used: reading the database');
      return undefined;
    }
  }

  /** Replaces the local copy (written aside, then renamed over it); a failure is logged, never thrown. */
  private async writeLocal(head: Head, chunks: Buffer[]): Promise<void> {
    if (!this.localFile || head.sha256 === undefined) return;
    const header: LocalHeader = {
      number: head.number,
      format: head.format ?? SNAPSHOT_FORMAT,
      facts: head.facts,
      sha256: head.sha256,
      lengths: chunks.map((c) => c.length),
    };
    const aside = `${this.localFile}.${process.pid}.tmp`;
    try {
      // Only this user may read it: keyed hashes and customer ids, like the database's copy.
      await mkdir(path.dirname(this.localFile), { recursive: true, mode: 0o700 });
      const file = await open(aside, 'w', 0o600);
      try {
        await file.writev([Buffer.from(LOCAL_MAGIC), Buffer.from(JSON.stringify(header) + '\n'), ...chunks]);
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(aside, this.localFile);
    } catch (error) {
      this.logger.warn({ err: error, snapshot: head.number }, 'local snapshot copy not written');
      await unlink(aside).catch(() => undefined);
    }
  }

  private emptyHead(): Head {
    return { _id: this.headId, number: 0, chunks: 0, facts: 0, positions: [], takenAt: new Date() };
  }

  /** Rare (a crash while a snapshot was written): a query by field, which reads the whole collection on FerretDB. */
  private async discardInterrupted(snapshot: number): Promise<void> {
    const { deletedCount } = await this.docs.deleteMany({ snapshot: this.snapshotName(snapshot) });
    await this.docs.updateOne({ _id: this.headId }, { $unset: { writing: 1 } });
    this.logger.warn({ snapshot, chunks: deletedCount }, 'discarded the chunks of an interrupted snapshot');
  }
}

/** The local copy's magic line and header, and where its data starts. */
async function readLocalHeader(file: FileHandle): Promise<{ header: LocalHeader; dataStart: number }> {
  const start = Buffer.alloc(64 * 1024);
  const { bytesRead } = await file.read(start, 0, start.length, 0);
  const magic = Buffer.from(LOCAL_MAGIC);
  const newline = start.indexOf(10, magic.length);
  if (!start.subarray(0, magic.length).equals(magic) || newline < 0 || newline >= bytesRead) {
    throw new Error('not a snapshot copy');
  }
  return { header: JSON.parse(start.toString('utf8', magic.length, newline)) as LocalHeader, dataStart: newline + 1 };
}
