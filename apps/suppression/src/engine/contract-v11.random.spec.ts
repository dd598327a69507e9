import { answerForCustomer, answerForIdentifier, CHANNELS, PURPOSES } from '../../../../test/support/v11-reference';
import { history, History } from '../../../../test/support/v11-histories';
import { decide } from './decision-engine';
import { SuppressionState } from './suppression-state';

/** Applies a history as the projector applies the events: full customer states, ledger entries per subject. */
export function stateOf(h: History): SuppressionState {
  const state = new SuppressionState();
  const sequences = new Map<string, number>();
  const next = (key: string) => {
    const n = (sequences.get(key) ?? 0) + 1;
    sequences.set(key, n);
    return n;
  };
  for (const c of h.changes) {
    const erased = c.erasedAt !== undefined;
    const point = (x: (typeof c.holdings)[number]) => ({
      kind: x.kind,
      hash: x.hash,
      owner: x.person === undefined ? ('own' as const) : ('contact-person' as const),
      ...(x.person !== undefined ? { person: x.person } : {}),
      from: x.from,
    });
    state.applyCustomer({
      customerId: c.id,
      sequence: next(c.id),
      kind: erased ? 'person' : c.kind,
      since: erased ? c.erasedAt! : 0,
      restrictedSince: erased ? undefined : c.restrictedSince,
      erasedAt: c.erasedAt,
      activeContract: !erased && c.activeContract,
      relationshipEndedAt: erased ? undefined : c.relationshipEndedAt,
      mobileSubscription: !erased && c.mobileSubscription,
      contactPoints: c.holdings.filter((x) => x.until === undefined).map(point),
      formerContactPoints: erased
        ? []
        : c.holdings.filter((x) => x.until !== undefined).map((x) => ({ ...point(x), until: x.until! })),
    });
  }
  for (const e of h.world.entries) {
    state.applyLedgerEntry({
      subjectKey: e.subject,
      sequence: next(e.subject),
      channel: e.channel,
      purpose: e.purpose,
      decision: e.decision,
      at: e.at,
      ...(e.expiresAt !== undefined ? { expiresAt: e.expiresAt } : {}),
    });
  }
  return state;
}

const SEEDS = Array.from({ length: 100 }, (_, i) => i + 1);

describe('suppression state and rules against an independent reading of §3 (v1.1), random histories', () => {
  it.each(SEEDS)('seed %i: every answer by id and by identifier equals the reference', (seed) => {
    const h = history(seed);
    const state = stateOf(h);
    const policy = { softOptInGraceMs: h.world.graceMs };
    const differences: string[] = [];
    for (const channel of CHANNELS) {
      for (const purpose of PURPOSES) {
        for (const product of channel === 'phone' ? [undefined, 'mobile-subscription' as const] : [undefined]) {
          const query = { channel, purpose, product };
          const compare = (
            what: string,
            facts: Parameters<typeof decide>[0] | undefined,
            expected: { codes: string[] },
          ) => {
            const actual = facts
              ? decide(facts, query, h.now, policy)
                  .reasons.map((r) => r.code)
                  .sort()
              : ['no-consent'];
            const wanted = facts ? expected.codes : ['no-consent'];
            if (JSON.stringify(actual) !== JSON.stringify(wanted)) {
              differences.push(
                `${what} ${channel}/${purpose}/${product ?? '-'}: got ${actual.join(',')} want ${wanted.join(',')}`,
              );
            }
          };
          for (const { kind, hash } of h.identifiers) {
            compare(
              `${kind}:${hash.slice(0, 8)}`,
              state.factsForIdentifier(kind, hash),
              answerForIdentifier(h.world, kind, hash, channel, purpose, product, h.now),
            );
          }
          for (const c of h.world.customers) {
            compare(
              `customer:${c.id}`,
              state.factsForCustomer(c.id),
              answerForCustomer(h.world, c.id, channel, purpose, product, h.now),
            );
          }
        }
      }
    }
    expect(differences.slice(0, 10)).toEqual([]);
  });
});
