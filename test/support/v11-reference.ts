/**
 * An independent reading of docs/CONTRACT.md §3.6-3.7 over a whole world of customers, identifiers and ledger
 * entries, written from the text alone — on purpose without importing `libs/contracts/src/rules` — so that the
 * randomised tests can compare every answer of the real implementation with it.
 *
 * What it covers: persons and organisations with contact persons, identifiers shared by several customers,
 * identifiers that move between customers over time (holding periods), erasure tombstones, restriction, the
 * relationship (R2 with a grace period), products (R10) and the consent/prohibition ledger. Not covered here (the
 * table-driven unit test and the e2e specs cover them): staff suppression entries, directory bans, and the removal
 * of ledger entries by the consents service on erasure (with the tombstones its markers leave on the identifiers
 * whose ledgers it erases, test/contract-v11.e2e-spec.ts).
 */

export type Channel = 'email' | 'sms' | 'phone' | 'post';
export type Purpose = 'own-marketing' | 'partner-marketing' | 'profiling' | 'market-research';
export const CHANNELS: Channel[] = ['email', 'sms', 'phone', 'post'];
export const PURPOSES: Purpose[] = ['own-marketing', 'partner-marketing', 'profiling', 'market-research'];
type Decision = 'grant' | 'withdraw' | 'prohibit' | 'lift-prohibition';

export interface RefHolding {
  kind: 'email' | 'phone';
  hash: string;
  /** absent: the customer's own identifier; else the contact person's id */
  person?: string;
  from: number;
  /** absent while held */
  until?: number;
}

export interface RefCustomer {
  id: string;
  kind: 'person' | 'organization';
  activeContract: boolean;
  relationshipEndedAt?: number;
  mobileSubscription: boolean;
  restrictedSince?: number;
  erasedAt?: number;
  holdings: RefHolding[];
}

export interface RefEntry {
  /** `customer:<id>`, `email:<hash>` or `phone:<hash>` */
  subject: string;
  channel: Channel | 'all';
  purpose: Purpose | 'all';
  decision: Decision;
  at: number;
  expiresAt?: number;
}

export interface RefWorld {
  customers: RefCustomer[];
  entries: RefEntry[];
  graceMs: number;
}

export interface RefAnswer {
  decision: 'allow' | 'suppress';
  /** reason codes, sorted */
  codes: string[];
}

type Subject =
  | { type: 'bare'; kind: 'email' | 'phone'; hash: string }
  /** an erased customer asked about by id: only the fact of the erasure is left */
  | { type: 'erased'; at: number }
  | { type: 'customer'; customer: RefCustomer }
  | { type: 'contact-person'; customer: RefCustomer; person: string };

const refusal = (d: Decision) => d === 'withdraw' || d === 'prohibit';

/** The answer for a check by customer id. */
export function answerForCustomer(
  world: RefWorld,
  id: string,
  channel: Channel,
  purpose: Purpose,
  product: string | undefined,
  now: number,
): RefAnswer {
  const customer = world.customers.find((c) => c.id === id);
  if (!customer)
    return answerFor(world, [{ type: 'bare', kind: 'email', hash: `unknown-${id}` }], channel, purpose, product, now);
  if (customer.erasedAt !== undefined) {
    return answerFor(world, [{ type: 'erased', at: customer.erasedAt }], channel, purpose, product, now);
  }
  return answerFor(world, [{ type: 'customer', customer }], channel, purpose, product, now);
}

/** The answer for a check by e-mail or phone (given as its hash). */
export function answerForIdentifier(
  world: RefWorld,
  kind: 'email' | 'phone',
  hash: string,
  channel: Channel,
  purpose: Purpose,
  product: string | undefined,
  now: number,
): RefAnswer {
  const found: Subject[] = [];
  for (const customer of world.customers) {
    if (customer.erasedAt !== undefined) continue;
    const held = customer.holdings.filter((h) => h.kind === kind && h.hash === hash && h.until === undefined);
    if (held.some((h) => h.person === undefined)) found.push({ type: 'customer', customer });
    for (const person of new Set(held.filter((h) => h.person !== undefined).map((h) => h.person!))) {
      found.push({ type: 'contact-person', customer, person });
    }
  }
  if (found.length === 0) found.push({ type: 'bare', kind, hash });
  return answerFor(world, found, channel, purpose, product, now);
}

function answerFor(
  world: RefWorld,
  subjects: Subject[],
  channel: Channel,
  purpose: Purpose,
  product: string | undefined,
  now: number,
): RefAnswer {
  const codes = new Set<string>();
  for (const subject of subjects)
    for (const code of reasons(world, subject, channel, purpose, product, now)) codes.add(code);
  return { decision: codes.size === 0 ? 'allow' : 'suppress', codes: [...codes].sort() };
}

/** Entries that bind the subject (§3 "Who an entry binds"). */
function binding(world: RefWorld, subject: Subject): RefEntry[] {
  if (subject.type === 'erased') return [];
  if (subject.type === 'bare') return world.entries.filter((e) => e.subject === `${subject.kind}:${subject.hash}`);
  const { customer } = subject;
  const person = subject.type === 'contact-person' ? subject.person : undefined;
  const out: RefEntry[] = [];
  for (const e of world.entries) {
    if (e.subject === `customer:${customer.id}`) {
      // an organisation cannot consent for its contact persons (R3)
      if (person === undefined || e.decision !== 'grant') out.push(e);
      continue;
    }
    const bound = customer.holdings.some(
      (h) =>
        h.person === person &&
        e.subject === `${h.kind}:${h.hash}` &&
        e.at < (h.until ?? Infinity) &&
        (e.at >= h.from || refusal(e.decision)),
    );
    if (bound) out.push(e);
  }
  return out;
}

function covering(entries: RefEntry[], channel: Channel, purpose: Purpose): RefEntry[] {
  return entries.filter(
    (e) => (e.channel === channel || e.channel === 'all') && (e.purpose === purpose || e.purpose === 'all'),
  );
}

/** The deciding entry among entries of one kind: the latest; on the same instant, a refusal. */
function deciding(entries: RefEntry[]): RefEntry | undefined {
  const latest = Math.max(...entries.map((e) => e.at));
  const atLatest = entries.filter((e) => e.at === latest);
  return (
    atLatest.find((e) => refusal(e.decision)) ??
    atLatest.sort((a, b) => (a.expiresAt ?? Infinity) - (b.expiresAt ?? Infinity))[0]
  );
}

/** Tombstones on the identifiers the subject holds now (erased holders', R8). */
function tombstone(world: RefWorld, subject: Subject): number | undefined {
  if (subject.type === 'erased') return subject.at;
  const idents =
    subject.type === 'bare'
      ? [{ kind: subject.kind, hash: subject.hash }]
      : subject.customer.holdings.filter(
          (h) => h.until === undefined && h.person === (subject.type === 'contact-person' ? subject.person : undefined),
        );
  let at: number | undefined;
  for (const c of world.customers) {
    if (c.erasedAt === undefined) continue;
    for (const h of c.holdings) {
      if (h.until !== undefined) continue;
      if (idents.some((i) => i.kind === h.kind && i.hash === h.hash)) at = Math.max(at ?? -Infinity, c.erasedAt);
    }
  }
  return at;
}

function reasons(
  world: RefWorld,
  subject: Subject,
  channel: Channel,
  purpose: Purpose,
  product: string | undefined,
  now: number,
): string[] {
  const out: string[] = [];
  const entries = binding(world, subject);
  const here = covering(entries, channel, purpose);
  const consent = deciding(here.filter((e) => e.decision === 'grant' || e.decision === 'withdraw'));
  const liveGrant = consent?.decision === 'grant' && (consent.expiresAt === undefined || consent.expiresAt > now);
  const customer = subject.type === 'bare' || subject.type === 'erased' ? undefined : subject.customer;
  const optOut = subject.type === 'contact-person' || customer?.kind === 'organization';
  const active =
    customer !== undefined &&
    (customer.activeContract ||
      (customer.relationshipEndedAt !== undefined && now - customer.relationshipEndedAt < world.graceMs));

  // rule 1
  const erased = tombstone(world, subject);
  if (erased !== undefined && !here.some((e) => e.decision === 'grant' && e.at > erased)) out.push('erased');
  if (customer?.restrictedSince !== undefined) out.push('processing-restricted');
  const objectionPurposes: Purpose[] =
    purpose === 'profiling' ? ['profiling', 'own-marketing', 'partner-marketing'] : [purpose];
  if (
    objectionPurposes.some(
      (p) =>
        deciding(
          covering(entries, channel, p).filter((e) => e.decision === 'prohibit' || e.decision === 'lift-prohibition'),
        )?.decision === 'prohibit',
    )
  ) {
    out.push('prohibited');
  }
  // rule 4
  if (
    channel === 'phone' &&
    product === 'mobile-subscription' &&
    (purpose === 'own-marketing' || purpose === 'partner-marketing') &&
    !optOut &&
    !liveGrant &&
    !(purpose === 'own-marketing' && active && customer?.mobileSubscription === true)
  ) {
    out.push('mobile-telemarketing-ban');
  }
  // rules 5 and 6
  if (channel === 'email' || channel === 'sms') {
    if (optOut) {
      if (consent?.decision === 'withdraw') out.push('consent-withdrawn');
    } else if (consent?.decision === 'withdraw') out.push('consent-withdrawn');
    else if (!liveGrant && !(purpose === 'own-marketing' && active)) {
      out.push(consent === undefined ? 'no-consent' : 'consent-expired');
    }
  } else if (consent?.decision === 'withdraw') out.push('consent-withdrawn');
  return out;
}
