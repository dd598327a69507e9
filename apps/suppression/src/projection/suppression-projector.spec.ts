import { randomUUID } from 'node:crypto';
import {
  KieltoEvent,
  CONSENT_EVENT_TYPES,
  ConsentLedgerErasedV1,
  ConsentRecordedV1,
  CUSTOMER_EVENT_TYPES,
  CustomerStateV1,
  SUPPRESSION_ENTRY_EVENT_TYPES,
  SuppressionEntryAddedV1,
  SuppressionEntryRemovedV1,
} from '@kielto/contracts';
import { feedValue } from '../feed/partner-feed';
import type { PartnerFeedService, PendingFeed } from '../feed/partner-feed.service';
import { SuppressionProjector } from './suppression-projector.service';
import { ConsumerProgress } from '@kielto/platform';
import type { SuppressionEnv } from '../suppression.env';
import { AffectedIdentifiers, applyChunk, EncodedChunk, IdentifierKind, SuppressionState } from '../engine';
import type { Position, SnapshotRepository } from '../state/snapshot.repository';

const EMAIL = 'a'.repeat(64);
const PHONE = 'b'.repeat(64);
const T = '2025-03-01T10:00:00.000Z';

function event<T>(type: string, subject: string, sequence: number, data: T): KieltoEvent {
  return {
    specversion: '1.0',
    id: randomUUID(),
    source: '/kielto/test',
    type,
    subject,
    time: T,
    datacontenttype: 'application/json',
    sequence,
    data,
  } as KieltoEvent;
}

const customerCreated = (sequence = 1) =>
  event<CustomerStateV1>(CUSTOMER_EVENT_TYPES.created, 'cust-1', sequence, {
    customerId: 'cust-1',
    customerNumber: 'C-1',
    kind: 'person',
    language: 'fi',
    activeContract: true,
    contactPoints: [
      { kind: 'email', hash: EMAIL, owner: 'own' },
      { kind: 'phone', hash: PHONE, owner: 'own' },
    ],
    listing: { name: 'Testi' },
    since: T,
  });

const prohibitionOf = (type: 'email' | 'phone', key: string) =>
  event<ConsentRecordedV1>(CONSENT_EVENT_TYPES.recorded, `${type}:${key}`, 1, {
    entryId: `e-${type}`,
    subject: { type, key },
    channel: 'all',
    purpose: 'all',
    decision: 'prohibit',
    recordedAt: T,
    source: 'test',
    sequence: 1,
  });
const prohibitionOfEmail = () => prohibitionOf('email', EMAIL);

/** A snapshot store in memory: what SnapshotRepository does, without the database. */
class MemorySnapshots {
  stored?: { chunks: EncodedChunk[]; positions: Position[] };
  writes = 0;
  fail = false;

  load(state: SuppressionState) {
    let facts = 0;
    for (const c of this.stored?.chunks ?? []) facts += applyChunk(state, c.data);
    return Promise.resolve({ number: this.writes, facts, positions: this.stored?.positions ?? [] });
  }

  write(chunks: EncodedChunk[], positions: Position[]) {
    if (this.fail) return Promise.reject(new Error('database down'));
    this.stored = { chunks, positions };
    return Promise.resolve(++this.writes);
  }
}

/** The projector's own ports, faked: a snapshot store in memory, a feed that records (or refuses). */
function setUp(snapshots = new MemorySnapshots(), snapshotEvents = 50_000) {
  const state = new SuppressionState();
  const published: AffectedIdentifiers[] = [];
  let failFeed = false;
  /** While set, a publish (having taken its values) waits for it before it is done. */
  let hold: Promise<void> | undefined;
  let inFlight = 0;
  let mostInFlight = 0;
  // The feed port: values as the real feed computes them; what a publish sends is recorded (identifier → kind).
  const current = (kind: IdentifierKind, hash: string) =>
    JSON.stringify(feedValue(kind, state.factsForIdentifier(kind, hash)));
  const feed = {
    current,
    publish: async (pending: PendingFeed) => {
      if (failFeed) throw new Error('broker down');
      const sent = new Map(
        [...pending].filter(([h, c]) => current(c.kind, h) !== c.before).map(([h, c]) => [h, c.kind]),
      );
      if (sent.size > 0) published.push(sent);
      mostInFlight = Math.max(mostInFlight, ++inFlight);
      try {
        await hold;
      } finally {
        inFlight--;
      }
    },
  } as unknown as PartnerFeedService;
  const progress = new ConsumerProgress();
  const env = {
    SUPPRESSION_SNAPSHOT_EVENTS: snapshotEvents,
    SUPPRESSION_SNAPSHOT_INTERVAL_MS: 60_000,
  } as SuppressionEnv;
  const projector = new SuppressionProjector(state, snapshots as unknown as SnapshotRepository, feed, progress, env);
  return {
    state,
    snapshots,
    progress,
    published,
    projector,
    failFeed: (fail: boolean) => (failFeed = fail),
    holdFeed: (until: Promise<void>) => {
      hold = until;
    },
    mostInFlight: () => mostInFlight,
  };
}

describe(SuppressionProjector.name, () => {
  it('applies, then publishes the feed for every identifier whose answers may have changed', async () => {
    const { state, published, projector } = setUp();
    await projector.project([customerCreated()]);
    await projector.project([prohibitionOfEmail()]);
    expect(state.factsForIdentifier('phone', PHONE).ledger).toHaveLength(1);
    // The entry was recorded against the e-mail address, but applies to the whole customer.
    // The customer alone changes no feed value (the feed carries explicit suppressions): one publish.
    expect(published).toHaveLength(1);
    expect(published[0]).toEqual(
      new Map([
        [EMAIL, 'email'],
        [PHONE, 'phone'],
      ]),
    );
  });

  it('snapshots the state with the positions of the batches processed, and starts again from it', async () => {
    const first = setUp();
    await first.projector.onModuleInit();
    await first.projector.project([customerCreated(), prohibitionOfEmail()]);
    first.progress.markProcessed('t.consents', 2, '41');
    await first.projector.snapshot();
    first.projector.onModuleDestroy();
    expect(first.snapshots.stored?.positions).toEqual([{ topic: 't.consents', partition: 2, next: '42' }]);

    const second = setUp(first.snapshots);
    await second.projector.onModuleInit();
    second.projector.onModuleDestroy();
    expect(second.state.digest()).toEqual(first.state.digest());
    // The consumer resumes where the snapshot ends.
    expect(second.progress.nextOffset('t.consents', 2)).toBe(42n);
  });

  it('takes a snapshot between batches, never in the middle of one', async () => {
    const { snapshots, projector, failFeed } = setUp();
    await projector.onModuleInit();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    failFeed(false);
    const slow = projector.project([customerCreated()]).then(() => gate);
    const queued = projector.project([prohibitionOfEmail()]);
    const snapshot = projector.snapshot();
    release();
    await Promise.all([slow, queued, snapshot]);
    projector.onModuleDestroy();
    const restored = new SuppressionState();
    for (const c of snapshots.stored!.chunks) applyChunk(restored, c.data);
    // Both batches were handed over before the snapshot: it holds both.
    expect(restored.factsForIdentifier('phone', PHONE).ledger).toHaveLength(1);
  });

  it('lets batches flow while a snapshot is compressed and stored, and the snapshot holds only what came before', async () => {
    const snapshots = new MemorySnapshots();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const write = snapshots.write.bind(snapshots);
    snapshots.write = (chunks, positions) => gate.then(() => write(chunks, positions));
    const { state, projector } = setUp(snapshots);
    await projector.onModuleInit();
    await projector.project([customerCreated()]);
    const snapshot = projector.snapshot();
    // The store is slow; a batch handed over meanwhile is applied without waiting for it.
    await projector.project([prohibitionOfEmail()]);
    expect(state.factsForIdentifier('phone', PHONE).ledger).toHaveLength(1);
    release();
    await snapshot;
    projector.onModuleDestroy();
    const restored = new SuppressionState();
    for (const c of snapshots.stored!.chunks) applyChunk(restored, c.data);
    expect(restored.customerCount).toBe(1);
    expect(restored.factsForIdentifier('phone', PHONE).ledger).toHaveLength(0);
  });

  it('writes a snapshot once enough events were applied, and tries again after a failed write', async () => {
    const { snapshots, projector } = setUp(new MemorySnapshots(), 2);
    await projector.onModuleInit();
    snapshots.fail = true;
    await projector.project([customerCreated(), prohibitionOfEmail()]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(snapshots.writes).toBe(0);
    snapshots.fail = false;
    await projector.project([customerCreated()]);
    for (let i = 0; i < 20 && snapshots.writes === 0; i++) await new Promise((resolve) => setImmediate(resolve));
    projector.onModuleDestroy();
    expect(snapshots.writes).toBe(1);
    expect(snapshots.stored?.chunks.reduce((n, c) => n + c.facts, 0)).toBe(2);
  });

  it('changes nothing for events it already holds, and publishes no unchanged value again', async () => {
    const { state, published, projector } = setUp();
    const batch = [customerCreated(), prohibitionOfEmail()];
    await projector.project(batch);
    const before = state.digest();
    await projector.project(batch);
    expect(state.digest()).toEqual(before);
    expect(published).toHaveLength(1);
  });

  it('does not hold the next batch while the feed is on its way, publishes one at a time, and snapshots after', async () => {
    const { state, published, projector, snapshots, holdFeed, mostInFlight } = setUp();
    let release!: () => void;
    holdFeed(new Promise<void>((resolve) => (release = resolve)));
    await projector.project([prohibitionOfEmail()]);
    await projector.project([prohibitionOf('phone', PHONE)]);
    // Both batches are applied (checks answer from the state) while the first publish is still on its way.
    expect(state.factsForIdentifier('phone', PHONE).ledger).toHaveLength(1);
    expect(published).toEqual([new Map([[EMAIL, 'email']])]);
    let snapshotted = false;
    const snapshot = projector.snapshot().then(() => (snapshotted = true));
    await new Promise((resolve) => setImmediate(resolve));
    // The snapshot's positions must not include a batch whose feed is unsent: it waits.
    expect(snapshotted).toBe(false);
    expect(snapshots.writes).toBe(0);
    release();
    await snapshot;
    expect(published).toEqual([new Map([[EMAIL, 'email']]), new Map([[PHONE, 'phone']])]);
    expect(mostInFlight()).toBe(1);
    expect(snapshots.writes).toBe(1);
  });

  it('keeps what a failed publish held pending and sends it with the next one; the batch itself is applied', async () => {
    const { state, published, projector, failFeed } = setUp();
    failFeed(true);
    await projector.project([customerCreated(), prohibitionOfEmail()]);
    expect(state.factsForIdentifier('email', EMAIL).ledger).toHaveLength(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(published).toEqual([]);
    failFeed(false);
    // Redelivered or not, the identifiers go out with the next publish (here the one before a snapshot).
    await projector.project([customerCreated(), prohibitionOfEmail()]);
    await projector.snapshot();
    expect(published.at(-1)).toEqual(
      new Map([
        [EMAIL, 'email'],
        [PHONE, 'phone'],
      ]),
    );
  });

  it("keeps a bare identifier's keyed hash as a tombstone when its ledger is erased with one (R8), and not otherwise", async () => {
    const erasedAt = '2025-03-02T10:00:00.000Z';
    const marker = (tombstone?: true) =>
      event<ConsentLedgerErasedV1>(CONSENT_EVENT_TYPES.erased, `email:${EMAIL}`, 2, {
        subject: { type: 'email', key: EMAIL },
        erasedAt,
        ...(tombstone ? { tombstone } : {}),
      });
    const plain = setUp();
    await plain.projector.project([prohibitionOfEmail(), marker()]);
    expect(plain.state.factsForIdentifier('email', EMAIL)).toMatchObject({ ledger: [], erasedSince: undefined });

    const { state, projector, published } = setUp();
    await projector.project([prohibitionOfEmail(), marker(true)]);
    expect(state.factsForIdentifier('email', EMAIL)).toMatchObject({ ledger: [], erasedSince: Date.parse(erasedAt) });
    expect(published.at(-1)?.get(EMAIL)).toBe('email');
  });

  it('applies staff entries once, and a removal for good', async () => {
    const { state, projector } = setUp();
    const added = event<SuppressionEntryAddedV1>(SUPPRESSION_ENTRY_EVENT_TYPES.added, 'entry-1', 1, {
      entryId: 'entry-1',
      kind: 'email',
      hash: EMAIL,
      reason: 'bounce',
      channel: 'email',
      since: T,
    });
    const removed = event<SuppressionEntryRemovedV1>(SUPPRESSION_ENTRY_EVENT_TYPES.removed, 'entry-1', 2, {
      entryId: 'entry-1',
      removedAt: T,
    });
    await projector.project([added, removed]);
    expect(state.staffEntriesOf(EMAIL)).toEqual([]);
    await projector.project([added]);
    expect(state.staffEntriesOf(EMAIL)).toEqual([]);
  });

  it('projects batches one at a time, in the order they were handed over', async () => {
    const { state, projector } = setUp();
    const first = projector.project([customerCreated(1)]);
    const second = projector.project([
      {
        ...customerCreated(2),
        type: CUSTOMER_EVENT_TYPES.updated,
        data: { ...(customerCreated().data as CustomerStateV1), contactPoints: [] },
      },
    ]);
    await Promise.all([first, second]);
    expect(state.customerSequence('cust-1')).toBe(2);
    expect(state.ownerOf(EMAIL)).toBeUndefined();
  });
});
