import { MongoClient } from 'mongodb';
import request from 'supertest';
import type { ServiceApp } from '@kielto/platform';
import { bearer, eventually, MONGODB_URI, startStack, Stack } from '../../../test/support/stack';
import { RetentionService } from '../src/retention/retention.service';
import { endedCustomer } from './support/ended-customer';

/*
 * Issue 16 part 1: the scheduled retention run, once per interval in the cluster. In a file of its own: a service's
 * configuration is read when its module is first imported, and retention.e2e-spec.ts runs with the schedule off.
 */
jest.setTimeout(240_000);

describe('customers: the scheduled retention run happens once per interval in the cluster', () => {
  let stack: Stack;
  let second: ServiceApp;

  beforeAll(async () => {
    stack = await startStack(['customers'], { KIELTO_RETENTION_DAYS: '0', KIELTO_RETENTION_INTERVAL_MS: '1000' });
    const { start } = (await import('../src/service')) as { start(port?: number): Promise<ServiceApp> };
    second = await start(0);
  });
  afterAll(async () => {
    await second?.app.close();
    await stack?.close();
  });

  it('two instances on one database: each interval run by exactly one of them, every due customer erased once', async () => {
    const services = [stack.apps.customers!.app.get(RetentionService), second.app.get(RetentionService)];
    const runsBy = services.map((service) => {
      const runs: string[] = [];
      const original = service.run.bind(service);
      jest.spyOn(service, 'run').mockImplementation(async (runId, trigger) => {
        const report = await original(runId, trigger);
        runs.push(runId);
        return report;
      });
      return runs;
    });
    const customers = await Promise.all(
      ['once-a', 'once-b', 'once-c'].map((n) => endedCustomer(stack.urls.customers, n)),
    );
    for (const { id } of customers) {
      await eventually(
        async () => (await request(second.url).get(`/v1/customers/${id}`).set(bearer('staff'))).status === 404,
        90_000,
        'the scheduled run to erase the customer',
      );
    }
    // Let a few more intervals pass, so both instances have had their chances.
    await eventually(async () => Promise.resolve(runsBy.flat().length >= 4), 60_000, 'four scheduled runs');

    const [first, other] = runsBy;
    expect(first.filter((id) => other.includes(id))).toEqual([]);
    expect(new Set(runsBy.flat()).size).toBe(runsBy.flat().length);

    // Every erasure is audited once (a second run erasing the same customer would have found it gone).
    const audit = await eventually(async () => {
      const res = await request(stack.urls.customers)
        .get('/v1/audit')
        .query({ actor: 'system:retention', limit: 1000 })
        .set(bearer('admin'));
      const records = res.body as { target: { id: string } }[];
      return customers.every(({ id }) => records.some((r) => r.target.id === id)) && records;
    }, 30_000);
    for (const { id } of customers) expect(audit.filter((r) => r.target.id === id)).toHaveLength(1);
    const client = await MongoClient.connect(MONGODB_URI);
    try {
      const leases = await client.db(`${stack.prefix}-customers`).collection('retention_runs').find().toArray();
      expect(leases.length).toBeGreaterThanOrEqual(4);
      expect(leases.every((l) => String(l._id).startsWith('scheduled:'))).toBe(true);
    } finally {
      await client.close();
    }
  });
});
