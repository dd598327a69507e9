import { randomBytes } from 'node:crypto';
import request from 'supertest';
import type { ServiceApp } from '@kielto/platform';
import { bearer, startStack, Stack } from '../../../test/support/stack';
import { codes, eventuallyAnswer, untilFresh, RELAXED_FRESHNESS } from './support/source-events';

/**
 * Postal checks against customers' addresses (docs/CONTRACT.md §3.9): customers publishes the keyed hash of each
 * customer's postal identity; a check by name and address, however typed, finds the customer, whose restriction then
 * applies, and the customer is not held to the register's staleness rule.
 */
describe('suppression: postal identities of customers', () => {
  let stack: Stack;
  let suppression: ServiceApp;
  const tag = parseInt(randomBytes(2).toString('hex'), 16) % 900;

  beforeAll(async () => {
    stack = await startStack(['customers', 'suppression'], RELAXED_FRESHNESS);
    suppression = stack.apps.suppression!;
    await untilFresh(suppression);
  });
  afterAll(() => stack?.close());

  it("a check by name and address finds the customer; the customer's restriction applies", async () => {
    const created = await request(stack.urls.customers)
      .post('/v1/customers')
      .set(bearer('staff'))
      .send({
        kind: 'person',
        name: 'Liisa Laine',
        address: { street: `Satamak. ${tag} B-rappu 7`, postalCode: '00160', city: 'Helsinki', country: 'FI' },
        activeContract: true,
      })
      .expect(201);
    const query = {
      channel: 'post',
      purpose: 'own-marketing',
      name: 'LAINE Liisa',
      street: `Satamakatu ${tag}b7`,
      postalCode: '00160',
    };
    // Before the customer is known the identity is a bare one; an allow either way, so wait for the restriction.
    await request(stack.urls.customers)
      .put(`/v1/customers/${created.body.id}/restriction`)
      .set(bearer('staff'))
      .send({ reason: 'rectification pending' })
      .expect(200);
    const answer = await eventuallyAnswer(suppression, query, (b) => b.decision === 'suppress');
    expect(codes(answer.body)).toEqual(['processing-restricted']);
    // Another person at the same address is not that customer.
    const neighbour = await eventuallyAnswer(suppression, { ...query, name: 'Pekka Laine' }, () => true);
    expect(neighbour.body.decision).toBe('allow');
  });
});
