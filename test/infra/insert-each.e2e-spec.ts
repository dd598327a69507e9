import { randomBytes } from 'node:crypto';
import mongoose, { Connection, Schema } from 'mongoose';
import { deleteByIds, insertEach, insertNew } from '@kielto/platform';
import { dropDatabases, MONGODB_URI } from '../support/stack';

interface Doc {
  _id: string;
  name?: string;
  at?: Date;
  nested?: { a?: string; b?: { c?: string } };
}

/**
 * The bulk writes of the hot paths and the imports go straight to the driver (issue 20: mongoose's lean insertMany
 * and its bulkWrite cost as much CPU as the driver). Stored documents must stay what `Model.create` stores: no
 * undefined fields (the driver would store null), no empty objects (mongoose's `minimize`), at every depth.
 */
describe('bulk writes straight to the driver', () => {
  const prefix = `bulk-${randomBytes(4).toString('hex')}`;
  let connection: Connection;
  let model: mongoose.Model<Doc>;

  beforeAll(async () => {
    connection = await mongoose.createConnection(MONGODB_URI, { dbName: `${prefix}-probe` }).asPromise();
    model = connection.model<Doc>(
      'Doc',
      new Schema<Doc>(
        {
          _id: String,
          name: String,
          at: Date,
          nested: { a: String, b: { c: String } },
        },
        { collection: 'docs', versionKey: false },
      ),
    );
  });

  afterAll(async () => {
    await connection.close();
    await dropDatabases(prefix);
  });

  const stored = async (id: string) => connection.db!.collection('docs').findOne({ _id: id as never });

  it('stores a document as Model.create does: undefined fields and empty objects left out, clean ones as they are', async () => {
    const at = new Date('2026-01-02T03:04:05.678Z');
    const docs = [
      { _id: 'clean', name: 'Testi', at, nested: { a: 'x', b: { c: 'y' } } },
      { _id: 'dirty', name: undefined, at, nested: { a: undefined, b: {} } },
      { _id: 'empty', nested: {} },
    ];
    // An array keeps its items, emptied ones too (as before; Model.create would store such an item as null).
    const items = { _id: 'items', list: [{ x: undefined }, { x: '2' }] };
    expect(await insertEach(model, [...docs, items])).toEqual([undefined, undefined, undefined, undefined]);
    await model.create([
      { ...docs[0], _id: 'clean-created' },
      { ...docs[1], _id: 'dirty-created' },
      { ...docs[2], _id: 'empty-created' },
    ]);
    for (const id of ['clean', 'dirty', 'empty']) {
      const { _id: _ignored, ...created } = (await stored(`${id}-created`))!;
      expect(await stored(id)).toEqual({ _id: id, ...created });
    }
    expect(await stored('clean')).toEqual({ _id: 'clean', name: 'Testi', at, nested: docs[0].nested });
    expect(await stored('dirty')).toEqual({ _id: 'dirty', at });
    expect(await stored('items')).toEqual({ _id: 'items', list: [{}, { x: '2' }] });
    expect(await stored('empty')).toEqual({ _id: 'empty' });
  });

  it('answers per document: a duplicate key names that document alone, the others are inserted', async () => {
    await insertEach(model, [{ _id: 'first' }]);
    const outcome = await insertEach(model, [{ _id: 'second' }, { _id: 'first' }, { _id: 'third' }]);
    expect(outcome[0]).toBeUndefined();
    expect((outcome[1] as { code?: number }).code).toBe(11000);
    expect(outcome[2]).toBeUndefined();
    expect(await insertNew(model, [{ _id: 'third' }, { _id: 'fourth' }])).toEqual([false, true]);
  });

  it('deletes by id in commands FerretDB can serve, whatever their number', async () => {
    const ids = Array.from({ length: 120 }, (_, i) => `del-${i}`);
    await insertEach(
      model,
      ids.map((_id) => ({ _id })),
    );
    await deleteByIds(model, [...ids.slice(0, 110), 'never-there']);
    const left = await connection.db!.collection('docs').countDocuments({ _id: { $regex: /^del-/ } } as never);
    expect(left).toBe(10);
  });
});
