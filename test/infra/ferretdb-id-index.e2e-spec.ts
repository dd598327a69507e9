import { randomBytes } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { dropDatabases, MONGODB_URI } from '../support/stack';

/**
 * Every hot path reads by `_id` (lookup slots, the event log, snapshots). FerretDB v1 indexes `_id` but filtered on
 * another expression (SQLite: `->'$._id'`; PostgreSQL: `->$1 @>`, which no B-tree answers), so the database scanned
 * the table for each of those reads; scripts/infra.sh builds FerretDB with the filter on the index's expression.
 * The backend's own query plan (FerretDB's `explain`) says which, on SQLite and on PostgreSQL.
 */
describe('the MongoDB-protocol server answers reads by _id from its index', () => {
  const prefix = `idx-${randomBytes(4).toString('hex')}`;
  let client: MongoClient;

  beforeAll(async () => {
    client = await MongoClient.connect(MONGODB_URI);
  });

  afterAll(async () => {
    await client.close();
    await dropDatabases(prefix);
  });

  it('finds a document by _id, and several by _id $in, with an index search, not a table scan (updates and deletes share the filter)', async () => {
    const db = client.db(`${prefix}-probe`);
    await db
      .collection<{ _id: string; n: number }>('docs')
      .insertMany(Array.from({ length: 100 }, (_, n) => ({ _id: `k:${n}`, n })));
    const build = await db.admin().command({ buildInfo: 1 });
    const plan = async (command: Record<string, unknown>) =>
      JSON.stringify((await db.command({ explain: command })).queryPlanner);
    if (!('ferretdbVersion' in build)) {
      // Real MongoDB: the _id index is used by construction.
      expect(await plan({ find: 'docs', filter: { _id: 'k:7' } })).toMatch(/IDHACK|EXPRESS_IXSCAN|IXSCAN|_id_/);
      return;
    }
    const find = await plan({ find: 'docs', filter: { _id: 'k:7' } });
    // SQLite: `SEARCH docs_… USING INDEX docs_…__id_`; PostgreSQL: `"Node Type":"Index Scan", … "Index Name":"docs_…__id__…"`.
    expect(find).toMatch(/SEARCH \S+ USING INDEX \S+__id_|"Index Name":"[^"]+__id__/);
    expect(find).not.toMatch(/detail=SCAN|Seq Scan/);
    // Several ids at once (`byIds`, `deleteByIds`): on SQLite the build pushes `_id: {$in}` down to the same index.
    if (isSqlite(find)) {
      const many = await plan({ find: 'docs', filter: { _id: { $in: ['k:7', 'k:9', 'k:404'] } } });
      expect(many).toMatch(/SEARCH \S+ USING INDEX \S+__id_ \(<expr>=\?\)/);
      expect(many).not.toMatch(/detail=SCAN/);
      const found = await db
        .collection<{ _id: string; n: number }>('docs')
        .find({ _id: { $in: ['k:7', 'k:9', 'k:404'] } })
        .toArray();
      expect(found.map((d) => d.n).sort()).toEqual([7, 9]);
    }
  });
});

/** SQLite's query plans read `SEARCH …`/`SCAN …`; PostgreSQL's are JSON nodes. */
const isSqlite = (plan: string) => /detail=(SEARCH|SCAN)/.test(plan);
