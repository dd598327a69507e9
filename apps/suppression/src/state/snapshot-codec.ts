import { gunzipSync, gzipSync } from 'node:zlib';
import type { LedgerEntryView } from '../decision/decision.types';
import type {
  CustomerRecord,
  FormerPoint,
  HeldPoint,
  StaffEntry,
  StateFact,
  SuppressionState,
} from './suppression-state';

/**
 * The on-disk form of a snapshot chunk: gzip of a JSON array of facts, each a short tuple. Tuples, not objects:
 * a million identifiers make ~750 000 facts, and field names would double the size. `null` stands for an absent
 * optional value; a customer's contact points are flattened to kind, hash, owner, person, from, kind, hash… (format 2, contract
 * v1.1; `SNAPSHOT_FORMAT`)
 */
export type Tuple =
  | [
      'c',
      string,
      number,
      CustomerRecord['kind'],
      number,
      number | null,
      number | null,
      (string | number)[],
      0 | 1,
      number | null,
      0 | 1,
      (string | number)[],
    ]
  | [
      'l',
      string,
      number,
      LedgerEntryView['channel'],
      LedgerEntryView['purpose'],
      LedgerEntryView['decision'],
      number,
      number | null,
    ]
  | ['f', string, number]
  | ['e', string, number]
  | ['b', string, number, number | null]
  | ['s', string, string, StaffEntry['kind'], StaffEntry['reason'], StaffEntry['channel'], number]
  | ['r', string, number];

/**
 * Facts per chunk: ~1.3 MB of JSON, ~0.6 MB compressed (a document may hold 16 MB), and short enough to compress
 * between two turns of the event loop without holding up checks.
 */
export const FACTS_PER_CHUNK = 10_000;

const opt = (value: number | undefined): number | null => value ?? null;
const given = (value: number | null): number | undefined => value ?? undefined;

export function toTuple(fact: StateFact): Tuple {
  switch (fact.type) {
    case 'customer': {
      const r = fact.record;
      const points: (string | number)[] = [];
      for (const cp of r.contactPoints) points.push(cp.kind, cp.hash, cp.owner, cp.person ?? '', cp.from);
      const former: (string | number)[] = [];
      for (const fp of r.formerContactPoints)
        former.push(fp.kind, fp.hash, fp.owner, fp.person ?? '', fp.from, fp.until);
      return [
        'c',
        r.customerId,
        r.sequence,
        r.kind,
        r.since,
        opt(r.restrictedSince),
        opt(r.erasedAt),
        points,
        r.activeContract ? 1 : 0,
        opt(r.relationshipEndedAt),
        r.mobileSubscription ? 1 : 0,
        former,
      ];
    }
    case 'ledger': {
      const e = fact.entry;
      return ['l', e.subjectKey, e.sequence, e.channel, e.purpose, e.decision, e.at, opt(e.expiresAt)];
    }
    case 'floor':
      return ['f', fact.subjectKey, fact.below];
    case 'erased':
      return ['e', fact.hash, fact.at];
    case 'ban':
      return ['b', fact.ban.customerId, fact.ban.sequence, opt(fact.ban.fullSince)];
    case 'staff': {
      const e = fact.entry;
      return ['s', e.id, e.hash, e.kind, e.reason, e.channel, e.since];
    }
    case 'removed':
      return ['r', fact.id, fact.at];
  }
}

/** kind, hash, owner, person ('' for none), from — flattened at `i`. */
function point(flat: (string | number)[], i: number): HeldPoint {
  const held: HeldPoint = {
    kind: flat[i] as HeldPoint['kind'],
    hash: flat[i + 1] as string,
    owner: flat[i + 2] as HeldPoint['owner'],
    from: flat[i + 4] as number,
  };
  if (flat[i + 3] !== '') held.person = flat[i + 3] as string;
  return held;
}

export function fromTuple(t: Tuple): StateFact {
  switch (t[0]) {
    case 'c': {
      const points = t[7];
      const contactPoints: HeldPoint[] = [];
      for (let i = 0; i < points.length; i += 5) contactPoints.push(point(points, i));
      const former = t[11];
      const formerContactPoints: FormerPoint[] = [];
      for (let i = 0; i < former.length; i += 6) {
        formerContactPoints.push({ ...point(former, i), until: former[i + 5] as number });
      }
      return {
        type: 'customer',
        record: {
          customerId: t[1],
          sequence: t[2],
          kind: t[3],
          since: t[4],
          restrictedSince: given(t[5]),
          erasedAt: given(t[6]),
          activeContract: t[8] === 1,
          relationshipEndedAt: given(t[9]),
          mobileSubscription: t[10] === 1,
          contactPoints,
          formerContactPoints,
        },
      };
    }
    case 'l':
      return {
        type: 'ledger',
        entry: {
          subjectKey: t[1],
          sequence: t[2],
          channel: t[3],
          purpose: t[4],
          decision: t[5],
          at: t[6],
          expiresAt: given(t[7]),
        },
      };
    case 'f':
      return { type: 'floor', subjectKey: t[1], below: t[2] };
    case 'e':
      return { type: 'erased', hash: t[1], at: t[2] };
    case 'b':
      return { type: 'ban', ban: { customerId: t[1], sequence: t[2], fullSince: given(t[3]) } };
    case 's':
      return {
        type: 'staff',
        entry: { id: t[1], hash: t[2], kind: t[3], reason: t[4], channel: t[5], since: t[6] },
      };
    case 'r':
      return { type: 'removed', id: t[1], at: t[2] };
    default:
      throw new Error(`snapshot: unknown fact tag ${JSON.stringify((t as unknown[])[0])}`);
  }
}

export interface EncodedChunk {
  data: Buffer;
  facts: number;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));
/** Facts turned into tuples between two turns of the event loop. */
const FACTS_PER_TURN = 5_000;

/**
 * Copies the whole state into tuples, a chunk's worth per array: the point-in-time part of a snapshot, and the
 * only part during which the caller must keep the state from changing. It lets the event loop run every few
 * thousand facts, so checks keep being answered; at a million identifiers it takes a fraction of a second.
 */
export async function captureState(state: SuppressionState, perChunk = FACTS_PER_CHUNK): Promise<Tuple[][]> {
  const chunks: Tuple[][] = [];
  let chunk: Tuple[] = [];
  let sinceYield = 0;
  for (const fact of state.exportFacts()) {
    chunk.push(toTuple(fact));
    if (chunk.length >= perChunk) {
      chunks.push(chunk);
      chunk = [];
    }
    if (++sinceYield >= FACTS_PER_TURN) {
      sinceYield = 0;
      await yieldToEventLoop();
    }
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

/** Serialises and compresses captured chunks, one per turn of the event loop; the state may change meanwhile. */
export async function compressChunks(chunks: Tuple[][]): Promise<EncodedChunk[]> {
  const encoded: EncodedChunk[] = [];
  for (let i = 0; i < chunks.length; i++) {
    encoded.push({ data: gzipSync(JSON.stringify(chunks[i]), { level: 1 }), facts: chunks[i].length });
    chunks[i] = []; // let the tuples go as soon as they are compressed
    await yieldToEventLoop();
  }
  return encoded;
}

/** Both at once (the caller keeps the state still throughout): seeding and tests. */
export async function encodeState(state: SuppressionState, perChunk = FACTS_PER_CHUNK): Promise<EncodedChunk[]> {
  return compressChunks(await captureState(state, perChunk));
}

/** Applies one chunk to the state; returns the number of facts it held. */
export function applyChunk(state: SuppressionState, data: Buffer): number {
  const tuples = JSON.parse(gunzipSync(data).toString('utf8')) as Tuple[];
  for (const t of tuples) state.applyFact(fromTuple(t));
  return tuples.length;
}
