import type { Server } from 'node:http';
import request from 'supertest';
import type { CustomerErasedV1, CustomerStateV1 } from '@kielto/contracts';
import type { ServiceApp } from '@kielto/platform';
import { bearer, eventually, startStack, Stack } from '../../../test/support/stack';
import { history, History } from '../../../test/support/v11-histories';
import {
  answerForCustomer,
  answerForIdentifier,
  CHANNELS,
  PURPOSES,
  RefCustomer,
} from '../../../test/support/v11-reference';
import { RELAXED_FRESHNESS, SourceEvents, untilFresh } from './support/source-events';

/**
 * Contract v1.1 over the running service: random histories (persons, organisations with contact persons, shared,
 * rectified and recycled identifiers, erasures, relationships, products, ledger entries with ties) are published
 * as the source services publish them, and every answer — by customer id (marketing key) and by hashed identifier
 * (partner key, R11) — is compared with an independent reading of §3 (test/support/v11-reference.ts).
 */
describe('contract v1.1: the running suppression service against an independent reading of §3', () => {
  let stack: Stack;
  let suppression: ServiceApp;
  let events: SourceEvents;
  const SEEDS = [101, 202, 303, 404, 505, 606];
  const salt = Date.now() % 1_000_000;
  let published = 0;

  beforeAll(async () => {
    stack = await startStack(['suppression'], RELAXED_FRESHNESS);
    suppression = stack.apps.suppression!;
    events = new SourceEvents(suppression);
    await untilFresh(suppression);
  });
  afterAll(() => stack?.close());

  const iso = (ms: number) => new Date(ms).toISOString();

  function customerEvent(c: RefCustomer, salted: string): CustomerStateV1 | CustomerErasedV1 {
    const point = (h: RefCustomer['holdings'][number]) => ({
      kind: h.kind,
      hash: h.hash,
      owner: h.person === undefined ? ('own' as const) : ('contact-person' as const),
      ...(h.person !== undefined ? { person: h.person } : {}),
      from: iso(h.from),
    });
    const current = c.holdings.filter((h) => h.until === undefined).map(point);
    if (c.erasedAt !== undefined) return { customerId: salted, contactPoints: current, erasedAt: iso(c.erasedAt) };
    return {
      customerId: salted,
      customerNumber: `N-${salted}`,
      kind: c.kind,
      language: 'fi',
      activeContract: c.activeContract,
      ...(c.relationshipEndedAt !== undefined ? { relationshipEndedAt: iso(c.relationshipEndedAt) } : {}),
      products: c.mobileSubscription ? ['mobile-subscription'] : ['tv'],
      contactPoints: current,
      formerContactPoints: c.holdings
        .filter((h) => h.until !== undefined)
        .map((h) => ({ ...point(h), from: iso(h.from), until: iso(h.until!) })),
      listing: { name: 'Testi' },
      ...(c.restrictedSince !== undefined ? { restrictedSince: iso(c.restrictedSince) } : {}),
      since: iso(Date.UTC(2025, 0, 1)),
    };
  }

  async function publish(h: History, id: (c: string) => string): Promise<void> {
    for (const c of h.changes) await events.customerEvent(customerEvent(c, id(c.id)));
    for (const e of h.world.entries) {
      const colon = e.subject.indexOf(':');
      const type = e.subject.slice(0, colon) as 'customer' | 'email' | 'phone';
      const key = type === 'customer' ? id(e.subject.slice(colon + 1)) : e.subject.slice(colon + 1);
      await events.consent(
        { type, key },
        {
          channel: e.channel,
          purpose: e.purpose,
          decision: e.decision,
          recordedAt: iso(e.at),
          ...(e.expiresAt !== undefined ? { expiresAt: iso(e.expiresAt) } : {}),
        },
      );
    }
  }

  const partnerView = (codes: string[]) =>
    [...new Set(codes.map((c) => (c === 'erased' || c === 'processing-restricted' ? 'opt-out' : c)))].sort();

  it.each(SEEDS)('seed %i: 0 differences', async (seed) => {
    const h = history(seed, 60, salt);
    h.world.graceMs = 0; // the service runs with KIELTO_SOFT_OPT_IN_GRACE_DAYS=0
    const id = (c: string) => `${c}-${salt}`;
    await publish(h, id);
    published += h.world.entries.length;
    const server = suppression.app.getHttpServer() as Server;
    const bulk = (role: 'marketing' | 'partner', body: object) =>
      request(server).post('/v1/suppression/check').set(bearer(role)).send(body).expect(200);
    // Wait until the last event of each kind is applied: the last customer state and every ledger entry.
    await eventually(
      async () => {
        const res = await request(server).get('/v1/suppression/state/digest').set(bearer('admin'));
        return res.status === 200 && res.body.counts?.ledgerEntries >= published && res;
      },
      30_000,
      'the history applied',
    );
    const differences: string[] = [];
    let compared = 0;
    const settle = async () => {
      differences.length = 0;
      compared = 0;
      for (const channel of CHANNELS) {
        for (const purpose of PURPOSES) {
          for (const product of channel === 'phone' ? [undefined, 'mobile-subscription'] : [undefined]) {
            const base = { channel, purpose, ...(product ? { product } : {}) };
            const byHash = await bulk('partner', {
              ...base,
              contacts: h.identifiers.map((i) => (i.kind === 'email' ? { emailHash: i.hash } : { phoneHash: i.hash })),
            });
            const byId = await bulk('marketing', {
              ...base,
              contacts: h.world.customers.map((c) => ({ customerId: id(c.id) })),
            });
            h.identifiers.forEach((ident, n) => {
              const want = partnerView(
                answerForIdentifier(h.world, ident.kind, ident.hash, channel, purpose, product, Date.now()).codes,
              );
              const got = (byHash.body.results[n].reasons as { code: string }[]).map((r) => r.code).sort();
              compared++;
              if (JSON.stringify(got) !== JSON.stringify(want))
                differences.push(
                  `${ident.kind} ${n} ${channel}/${purpose}/${product ?? '-'}: ${got.join()} ≠ ${want.join()}`,
                );
            });
            h.world.customers.forEach((c, n) => {
              const want = answerForCustomer(h.world, c.id, channel, purpose, product, Date.now()).codes;
              const got = (byId.body.results[n].reasons as { code: string }[]).map((r) => r.code).sort();
              compared++;
              if (JSON.stringify(got) !== JSON.stringify(want))
                differences.push(`${c.id} ${channel}/${purpose}/${product ?? '-'}: ${got.join()} ≠ ${want.join()}`);
            });
          }
        }
      }
      return differences.length === 0;
    };
    // Customer events of different customers may still be in flight when the ledger count is reached.
    await eventually(settle, 20_000, 'the answers to settle').catch(() => undefined);
    expect({ compared, differences: differences.slice(0, 10) }).toEqual({
      compared: expect.any(Number),
      differences: [],
    });
    expect(compared).toBeGreaterThan(300);
  });
});
