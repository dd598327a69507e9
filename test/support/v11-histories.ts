import type { RefCustomer, RefEntry, RefHolding, RefWorld } from './v11-reference';

/**
 * Random histories for the randomised comparisons with the reference reading of §3 (v1.1): persons and
 * organisations with contact persons, identifiers shared by several customers and moved between them (rectified,
 * recycled), erasures, restrictions, relationships that start and end, products, and ledger entries against
 * customer ids and identifiers — several of them at the same instant. Deterministic per seed.
 */

/** mulberry32: a small seeded generator, so that a failing seed can be replayed. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface History {
  world: RefWorld;
  /** The customers' states in the order they changed (each one a full state, as customer events carry). */
  changes: RefCustomer[];
  identifiers: { kind: 'email' | 'phone'; hash: string }[];
  now: number;
}

const hex = (n: number, salt: number) => (n * 2654435761 + salt).toString(16).padStart(8, '0').repeat(8).slice(0, 64);
const CHANNELS = ['email', 'sms', 'phone', 'post', 'all'] as const;
const PURPOSES = ['own-marketing', 'partner-marketing', 'profiling', 'market-research', 'all'] as const;
const DECISIONS = ['grant', 'withdraw', 'prohibit', 'lift-prohibition'] as const;

export function history(seed: number, steps = 60, salt = 0): History {
  const r = random(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(r() * list.length)];
  const identifiers = [
    ...Array.from({ length: 6 }, (_, i) => ({ kind: 'email' as const, hash: hex(i + 1, salt + seed * 100) })),
    ...Array.from({ length: 6 }, (_, i) => ({ kind: 'phone' as const, hash: hex(i + 101, salt + seed * 100) })),
  ];
  const start = Date.UTC(2026, 0, 1);
  let t = start;
  const customers: RefCustomer[] = [];
  const entries: RefEntry[] = [];
  const changes: RefCustomer[] = [];
  const snapshot = (c: RefCustomer) => changes.push(structuredClone(c));

  for (let step = 0; step < steps; step++) {
    // Several things may happen at one instant (ties).
    if (r() < 0.7) t += 1 + Math.floor(r() * 3_600_000);
    const live = customers.filter((c) => c.erasedAt === undefined);
    const x = r();
    if (x < 0.15 || customers.length === 0) {
      const kind = r() < 0.7 ? 'person' : 'organization';
      const c: RefCustomer = {
        id: `c${seed}-${customers.length}`,
        kind,
        activeContract: r() < 0.6,
        mobileSubscription: r() < 0.4,
        holdings: [],
      };
      if (!c.activeContract && r() < 0.5) c.relationshipEndedAt = t - Math.floor(r() * 60) * 86_400_000;
      for (let n = 1 + Math.floor(r() * 2); n > 0; n--) c.holdings.push({ ...pick(identifiers), from: t });
      if (kind === 'organization') {
        for (let p = 0; p < Math.floor(r() * 3); p++)
          c.holdings.push({ ...pick(identifiers), person: `p${p}`, from: t });
      }
      customers.push(c);
      snapshot(c);
    } else if (x < 0.35 && live.length > 0) {
      const c = pick(live);
      const y = r();
      const held = c.holdings.filter((h) => h.until === undefined);
      if (y < 0.35 && held.length > 0) {
        pick(held).until = t; // rectified away (or a contact person left)
      } else if (y < 0.6) {
        const owner = c.kind === 'organization' && r() < 0.5 ? `p${Math.floor(r() * 3)}` : undefined;
        const ident = pick(identifiers);
        const already = held.some((h) => h.kind === ident.kind && h.hash === ident.hash && h.person === owner);
        if (!already) c.holdings.push({ ...ident, ...(owner ? { person: owner } : {}), from: t } as RefHolding);
      } else if (y < 0.75) {
        c.activeContract = !c.activeContract;
        if (c.activeContract) delete c.relationshipEndedAt;
        else c.relationshipEndedAt = t;
      } else if (y < 0.85) {
        c.mobileSubscription = !c.mobileSubscription;
      } else if (c.restrictedSince === undefined) c.restrictedSince = t;
      else delete c.restrictedSince;
      snapshot(c);
    } else if (x < 0.4 && live.length > 0) {
      const c = pick(live);
      c.erasedAt = t;
      snapshot(c);
    } else {
      const subject =
        r() < 0.35 && customers.length > 0
          ? `customer:${pick(customers).id}`
          : (({ kind, hash }) => `${kind}:${hash}`)(pick(identifiers));
      const decision = pick(DECISIONS);
      const entry: RefEntry = { subject, channel: pick(CHANNELS), purpose: pick(PURPOSES), decision, at: t };
      if (decision === 'grant' && r() < 0.2) entry.expiresAt = t + Math.floor(r() * 20) * 86_400_000;
      entries.push(entry);
    }
  }
  return {
    world: { customers, entries, graceMs: seed % 2 === 0 ? 0 : 30 * 86_400_000 },
    changes,
    identifiers,
    now: t + 3_600_000,
  };
}
