import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { DeskRequest, MAX_REQUEST_VERSIONS, TrailEntry } from './desk-request';
import { DeskRequestDoc, TrailDoc } from './schemas/desk.schema';
import { byId } from '@kielto/platform';

const isDuplicateKey = (e: unknown) => (e as { code?: number }).code === 11000;
/** A bound on one request's trail, so a runaway client cannot make its reads unbounded. */
const MAX_TRAIL = 1_000;

/** The only file that touches the desk's collections. Returns plain objects. */
@Injectable()
export class DeskRepository {
  constructor(
    @InjectModel(DeskRequestDoc.name) private readonly requests: Model<DeskRequestDoc>,
    @InjectModel(TrailDoc.name) private readonly trails: Model<TrailDoc>,
  ) {}

  /** False when that version exists already (a concurrent change won). */
  async insertVersion(state: DeskRequest): Promise<boolean> {
    try {
      await this.requests.create({
        _id: `${state.id}:${state.version}`,
        requestId: state.id,
        version: state.version,
        state,
      });
      return true;
    } catch (error) {
      if (isDuplicateKey(error)) return false;
      throw error;
    }
  }

  /** The newest version, read by `_id`. */
  async load(id: string): Promise<DeskRequest | undefined> {
    const versions = await Promise.all(
      Array.from({ length: MAX_REQUEST_VERSIONS }, (_, i) => byId<DeskRequestDoc>(this.requests, `${id}:${i + 1}`)),
    );
    return versions.filter((doc) => doc !== null).at(-1)?.state;
  }

  /** Every request, newest version of each. */
  async all(): Promise<DeskRequest[]> {
    const newest = new Map<string, DeskRequest>();
    for (const doc of await this.requests.find().lean<DeskRequestDoc[]>()) {
      const known = newest.get(doc.requestId);
      if (!known || known.version < doc.version) newest.set(doc.requestId, doc.state);
    }
    return [...newest.values()];
  }

  /**
   * The requests that name a bare identifier (normalised, as the desk stores it), newest version of each, with their
   * trails: for the identifier's export.
   */
  async about(identifier: {
    kind: 'email' | 'phone';
    value: string;
  }): Promise<(DeskRequest & { trail: TrailEntry[] })[]> {
    const named = (await this.all()).filter((r) => r.subject[identifier.kind] === identifier.value);
    return Promise.all(named.map(async (r) => ({ ...r, trail: await this.trail(r.id) })));
  }

  async appendTrail(id: string, entry: TrailEntry): Promise<void> {
    for (let index = (await this.trail(id)).length; index < MAX_TRAIL; index++) {
      try {
        await this.trails.create({ _id: `${id}#${index}`, entry });
        return;
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
      }
    }
    throw new Error('request trail is full');
  }

  async trail(id: string): Promise<TrailEntry[]> {
    const entries: TrailEntry[] = [];
    while (entries.length < MAX_TRAIL) {
      const doc = await byId<TrailDoc>(this.trails, `${id}#${entries.length}`);
      if (!doc) break;
      entries.push(doc.entry);
    }
    return entries;
  }
}
