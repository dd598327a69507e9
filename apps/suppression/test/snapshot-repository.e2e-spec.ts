import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Collection, Db, MongoClient } from 'mongodb';
import { dropDatabases, MONGODB_URI } from '../../../test/support/stack';
import { encodeState, SuppressionState } from '../src/engine';
import { SnapshotRepository } from '../src/state/snapshot.repository';

const hex = (i: number) => i.toString(16).padStart(64, '0');

/** A state with a few of everything, `n` customers large. */
function stateOf(n: number): SuppressionState {
  const state = new SuppressionState();
  for (let i = 0; i < n; i++) {
    state.applyCustomer({
      customerId: `cust-${i}`,
      sequence: 1,
      kind: i % 3 === 0 ? 'organization' : 'person',
      since: 1_700_000_000_000 + i,
      restrictedSince: i % 7 === 0 ? 1_700_000_000_000 : undefined,
      activeContract: i % 2 === 0,
      relationshipEndedAt: i % 2 === 0 ? undefined : 1_700_000_000_000,
      mobileSubscription: i % 5 === 0,
      contactPoints: [
        { kind: 'email', hash: hex(2 * i), owner: 'own', from: 1_700_000_000_000 },
        { kind: 'phone', hash: hex(2 * i + 1), owner: 'contact-person', person: `p${i}`, from: 1_700_000_000_001 },
      ],
      formerContactPoints:
        i % 4 === 0
          ? [{ kind: 'email', hash: hex(2 * i + 9), owner: 'own', from: 1_699_000_000_000, until: 1_700_000_000_000 }]
          : [],
    });
    state.applyLedgerEntry({
      subjectKey: `email:${hex(2 * i)}`,
      sequence: 1,
      channel: 'all',
      purpose: 'all',
      decision: i % 2 ? 'prohibit' : 'grant',
      at: 1_700_000_000_000,
    });
  }
  state.applyBan({ customerId: 'cust-1', sequence: 2, fullSince: 1_700_000_000_000 });
  state.addStaffEntry({ id: 'e1', hash: hex(5), kind: 'phone', reason: 'robinson', channel: 'all', since: 1 });
  state.removeStaffEntry('e0', 2);
  state.eraseLedger(`email:${hex(0)}`, 1);
  return state;
}

/** Suppression's snapshots against the real MongoDB-protocol server: whole, switched atomically, never partial. */
describe('suppression snapshots (FerretDB)', () => {
  const prefix = `snap-${randomBytes(4).toString('hex')}`;
  let client: MongoClient;
  let db: Db;
  let docs: Collection<{ _id: string }>;

  beforeAll(async () => {
    client = await MongoClient.connect(MONGODB_URI);
    db = client.db(`${prefix}-suppression`);
    docs = db.collection('snapshots');
  });

  afterAll(async () => {
    await client.close();
    await dropDatabases(prefix);
  });

  it('stores a state in chunks and loads it back equal, with its positions', async () => {
    const repository = new SnapshotRepository(docs, 'a');
    const source = stateOf(3_000);
    const positions = [{ topic: 't.consents', partition: 1, next: '42' }];
    expect(await repository.write(await encodeState(source, 1_000), positions)).toBe(1);

    const loaded = new SuppressionState();
    const result = await repository.load(loaded);
    expect(result).toMatchObject({ number: 1, positions });
    expect(loaded.digest()).toEqual(source.digest());
  });

  it('switches to the next snapshot and deletes the chunks of the one it replaced', async () => {
    const repository = new SnapshotRepository(docs, 'b');
    await repository.write(await encodeState(stateOf(100), 40), []);
    const next = stateOf(150);
    expect(await repository.write(await encodeState(next, 40), [])).toBe(2);
    const ids = (await docs.find({ _id: { $regex: '^chunk:b:' } }).toArray()).map((d) => d._id).sort();
    expect(ids.every((id) => id.startsWith('chunk:b:2:'))).toBe(true);
    const loaded = new SuppressionState();
    await repository.load(loaded);
    expect(loaded.digest()).toEqual(next.digest());
  });

  it('keeps the previous snapshot when a write is interrupted, and clears the leftovers before the next', async () => {
    const repository = new SnapshotRepository(docs, 'c');
    const first = stateOf(50);
    await repository.write(await encodeState(first, 20), []);
    // A crash after the write was marked and one chunk stored: the head still names snapshot 1.
    await docs.updateOne({ _id: 'head:c' }, { $set: { writing: 2 } });
    await docs.insertOne({ _id: 'chunk:c:2:0', snapshot: 'c:2', data: Buffer.from('partial') } as { _id: string });

    const afterCrash = new SuppressionState();
    expect(await new SnapshotRepository(docs, 'c').load(afterCrash)).toMatchObject({ number: 1 });
    expect(afterCrash.digest()).toEqual(first.digest());
    expect(await docs.countDocuments({ _id: 'chunk:c:2:0' })).toBe(0);

    const second = stateOf(60);
    expect(await repository.write(await encodeState(second, 20), [])).toBe(2);
    const loaded = new SuppressionState();
    await repository.load(loaded);
    expect(loaded.digest()).toEqual(second.digest());
  });

  it('refuses to load a snapshot with a chunk missing rather than answer from part of the list', async () => {
    const repository = new SnapshotRepository(docs, 'd');
    await repository.write(await encodeState(stateOf(100), 40), []);
    await docs.deleteOne({ _id: 'chunk:d:1:1' });
    await expect(repository.load(new SuppressionState())).rejects.toThrow(/missing chunk 1/);
  });

  it('keeps instances that share a database apart', async () => {
    const a = new SuppressionState();
    await new SnapshotRepository(docs, 'e1').write(await encodeState(stateOf(10)), []);
    await new SnapshotRepository(docs, 'e2').write(await encodeState(stateOf(20)), []);
    await new SnapshotRepository(docs, 'e1').load(a);
    expect(a.digest()).toEqual(stateOf(10).digest());
  });

  it('does not load a snapshot written before contract v1.1: the instance rebuilds from the topics (upgrade)', async () => {
    const repository = new SnapshotRepository(docs, 'v1');
    await repository.write(await encodeState(stateOf(50), 20), [{ topic: 't.customers', partition: 0, next: '7' }]);
    // What a v1 instance left behind: the same head, without the format it was written in.
    await docs.updateOne({ _id: 'head:v1' }, { $unset: { format: 1 } });
    const loaded = new SuppressionState();
    expect(await repository.load(loaded)).toEqual({ number: 1, facts: 0, positions: [] });
    expect(loaded.customerCount).toBe(0);
    // Its next snapshot replaces the old one and is loaded again.
    expect(await repository.write(await encodeState(stateOf(10), 20), [])).toBe(2);
    const again = new SuppressionState();
    expect((await repository.load(again)).number).toBe(2);
    expect(again.digest()).toEqual(stateOf(10).digest());
  });

  it('starts empty when the instance has no snapshot', async () => {
    const state = new SuppressionState();
    expect(await new SnapshotRepository(docs, 'none').load(state)).toEqual({ number: 0, facts: 0, positions: [] });
    expect(state.identifierCount).toBe(0);
  });

  describe('with a local copy on disk', () => {
    let dir: string;
    beforeAll(() => (dir = mkdtempSync(path.join(tmpdir(), 'kielto-snap-'))));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const dropChunks = (instance: string) => docs.deleteMany({ _id: { $regex: `^chunk:${instance}:` } });

    it('writes a copy with each snapshot (mode 600) and a restart reads it instead of the database', async () => {
      const file = path.join(dir, 'l1.snapshot');
      const source = stateOf(500);
      await new SnapshotRepository(docs, 'l1', file).write(await encodeState(source, 100), []);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      // Without the database's chunks, only the copy can give the state back.
      await dropChunks('l1');
      const loaded = new SuppressionState();
      expect(await new SnapshotRepository(docs, 'l1', file).load(loaded)).toMatchObject({ number: 1 });
      expect(loaded.digest()).toEqual(source.digest());
    });

    it('ignores a damaged copy and reads the database', async () => {
      const file = path.join(dir, 'l2.snapshot');
      const source = stateOf(300);
      await new SnapshotRepository(docs, 'l2', file).write(await encodeState(source, 100), []);
      const bytes = readFileSync(file);
      bytes[bytes.length - 10] ^= 0xff;
      writeFileSync(file, bytes);
      const loaded = new SuppressionState();
      await new SnapshotRepository(docs, 'l2', file).load(loaded);
      expect(loaded.digest()).toEqual(source.digest());
      // …and refuses, as without a copy, when the database's snapshot is incomplete too.
      await docs.deleteOne({ _id: 'chunk:l2:1:1' });
      writeFileSync(file, bytes);
      await expect(new SnapshotRepository(docs, 'l2', file).load(new SuppressionState())).rejects.toThrow(
        /missing chunk 1/,
      );
    });

    it('never loads a copy of an older snapshot than the one in force', async () => {
      const file = path.join(dir, 'l3.snapshot');
      const repository = new SnapshotRepository(docs, 'l3', file);
      await repository.write(await encodeState(stateOf(100), 40), []);
      const first = readFileSync(file);
      const second = stateOf(120);
      await repository.write(await encodeState(second, 40), []);
      writeFileSync(file, first); // e.g. a crash between the database's switch and the copy's
      const loaded = new SuppressionState();
      expect(await new SnapshotRepository(docs, 'l3', file).load(loaded)).toMatchObject({ number: 2 });
      expect(loaded.digest()).toEqual(second.digest());
    });

    it('makes the copy when a host first loads the snapshot from the database', async () => {
      const file = path.join(dir, 'l4.snapshot');
      const source = stateOf(200);
      await new SnapshotRepository(docs, 'l4').write(await encodeState(source, 50), []);
      await new SnapshotRepository(docs, 'l4', file).load(new SuppressionState());
      await dropChunks('l4');
      const loaded = new SuppressionState();
      await new SnapshotRepository(docs, 'l4', file).load(loaded);
      expect(loaded.digest()).toEqual(source.digest());
    });
  });
});
