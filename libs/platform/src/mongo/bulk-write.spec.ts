import type { AnyBulkWriteOperation, Model } from 'mongoose';
import { bulkWriteInChunks, FERRETDB_SAFE_BULK_WRITE } from './bulk-write';

interface Doc {
  _id: string;
}

/** Records the commands a bulk write becomes; `failAt` makes that command fail. */
function recordingModel(failAt?: number) {
  const commands: AnyBulkWriteOperation<Doc>[][] = [];
  const model = {
    bulkWrite: (ops: AnyBulkWriteOperation<Doc>[]) => {
      commands.push(ops);
      return commands.length - 1 === failAt ? Promise.reject(new Error('E11000')) : Promise.resolve({});
    },
  } as unknown as Model<Doc>;
  return { model, commands };
}

const ops = (n: number): AnyBulkWriteOperation<Doc>[] =>
  Array.from({ length: n }, (_, i) => ({ updateOne: { filter: { _id: String(i) }, update: { $set: {} } } }));

describe(bulkWriteInChunks.name, () => {
  it('sends no command holding more statements than FerretDB v1 can serve from its pool, in order', async () => {
    const { model, commands } = recordingModel();
    const all = ops(2 * FERRETDB_SAFE_BULK_WRITE + 7);
    await bulkWriteInChunks(model, all, { ordered: false });
    expect(commands.map((c) => c.length)).toEqual([FERRETDB_SAFE_BULK_WRITE, FERRETDB_SAFE_BULK_WRITE, 7]);
    expect(commands.flat()).toEqual(all);
    expect(FERRETDB_SAFE_BULK_WRITE).toBeLessThan(100); // FerretDB's pool per database
  });

  it('stops at a failing command, as one ordered bulk write would', async () => {
    const { model, commands } = recordingModel(0);
    await expect(bulkWriteInChunks(model, ops(120), { ordered: true })).rejects.toThrow('E11000');
    expect(commands).toHaveLength(1);
  });

  it('sends nothing for nothing', async () => {
    const { model, commands } = recordingModel();
    await bulkWriteInChunks(model, [], { ordered: true });
    expect(commands).toHaveLength(0);
  });
});
