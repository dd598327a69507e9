import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { bearer } from '../../../../test/support/stack';

const run = randomBytes(3).toString('hex');
export const email = (name: string) => `${name}.${run}@example.fi`;

/** A customer whose contract has just ended (due at once with KIELTO_RETENTION_DAYS=0). */
export async function endedCustomer(base: string, name: string): Promise<{ id: string; customerNumber: string }> {
  const created = await request(base)
    .post('/v1/customers')
    .set(bearer('staff'))
    .send({ kind: 'person', name, emails: [email(name)], activeContract: true });
  expect(created.status).toBe(201);
  const { id, customerNumber } = created.body as { id: string; customerNumber: string };
  const patched = await request(base).patch(`/v1/customers/${id}`).set(bearer('staff')).send({ activeContract: false });
  expect(patched.status).toBe(200);
  expect((patched.body as { relationshipEndedAt?: string }).relationshipEndedAt).toEqual(expect.any(String));
  return { id, customerNumber };
}
