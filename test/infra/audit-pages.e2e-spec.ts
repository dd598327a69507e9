import { randomBytes } from 'node:crypto';
import mongoose, { Connection } from 'mongoose';
import {
  AuditRecord,
  AuditRecordSchema,
  AuditTrail,
  ServiceConfig,
  SubjectReadHead,
  SubjectReadHeadSchema,
  SubjectReadPage,
  SubjectReadPageSchema,
} from '@kielto/platform';
import { dropDatabases, MONGODB_URI } from '../support/stack';

/**
 * "Who read this person's data" is kept in pages per subject, `<subject>#<n>` by `_id` only. A flush writes the pages
 * of all its subjects in one insert after one read of heads and candidates (issue 20: one by one, the read audit of a
 * lookup cost three times the lookup's commands). Two instances flushing the same subjects at once must still keep
 * every read, in contiguous pages, each written once.
 */
describe('subject read pages of two instances', () => {
  const prefix = `audit-${randomBytes(4).toString('hex')}`;
  let connection: Connection;
  let trails: AuditTrail[];

  beforeAll(async () => {
    connection = await mongoose.createConnection(MONGODB_URI, { dbName: `${prefix}-probe` }).asPromise();
    const records = connection.model(AuditRecord.name, AuditRecordSchema);
    const pages = connection.model(SubjectReadPage.name, SubjectReadPageSchema);
    const heads = connection.model(SubjectReadHead.name, SubjectReadHeadSchema);
    await Promise.all([records, pages, heads].map((m) => m.createCollection()));
    const config = { service: { name: 'probe' } } as ServiceConfig;
    // Two processes' trails: each with its own hints, one database.
    trails = [0, 1].map(() => new AuditTrail(records, pages, heads, config));
  });

  afterAll(async () => {
    await connection.close();
    await dropDatabases(prefix);
  });

  it('keeps every read, in contiguous pages, when two instances flush the same subjects at once', async () => {
    const subjects = Array.from({ length: 40 }, (_, i) => `c-${prefix}-${i}`);
    const actor = { keyId: 'staff-1', role: 'staff' } as never;
    let reads = 0;
    for (let round = 0; round < 6; round++) {
      const calls = trails.flatMap((trail, t) =>
        subjects.map((subject, s) => {
          reads++;
          return trail.record({
            actor,
            method: 'GET',
            route: '/v1/customers/:id',
            params: {},
            status: 200,
            requestId: `r-${round}-${t}-${s}`,
            subjects: [subject],
          });
        }),
      );
      await Promise.all([...calls, ...trails.map((trail) => trail.flush())]);
    }
    expect(reads).toBe(6 * 2 * subjects.length);
    for (const subject of subjects) {
      const found = await trails[0].readsOf(subject, 1000);
      expect(found).toHaveLength(12);
      expect(new Set(found.map((r) => r.requestId)).size).toBe(12);
      const pages = await connection
        .collection<{ _id: string; page: number }>('subject_reads')
        .find({ subject })
        .toArray();
      const numbers = pages.map((p) => p.page).sort((a, b) => a - b);
      expect(numbers).toEqual(Array.from({ length: numbers.length }, (_, i) => i + 1));
      // A head is a lower bound of the newest page, never ahead of it.
      const head = await connection
        .collection<{ _id: string; page: number }>('subject_read_heads')
        .findOne({ _id: subject });
      expect(head?.page ?? 0).toBeLessThanOrEqual(numbers.length);
    }
  });
});
