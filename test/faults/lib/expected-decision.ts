/**
 * The expected send decision, written from docs/CONTRACT.md §3.7 "Decision rules" and §3.6 "Ledger semantics" alone, on
 * purpose without importing the suppression service's decision engine: the fault tests compare the service's
 * answers with this independent reading of the contract.
 *
 * Covers what the fault load produces: natural persons and bare identifiers, the consent/prohibition ledger,
 * restriction, erasure and full directory bans. Organisations (R3), contact persons, products (R10) and staff
 * suppression entries (rule 2) are not part of the load and therefore not modelled. Contract v1.1.
 */

export type Channel = 'email' | 'sms' | 'phone' | 'post';
export type Purpose = 'own-marketing' | 'partner-marketing' | 'profiling' | 'market-research';
export type LedgerChannel = Channel | 'all';
export type LedgerPurpose = Purpose | 'all';
export type LedgerDecision = 'grant' | 'withdraw' | 'prohibit' | 'lift-prohibition';

export interface ExpectedLedgerEntry {
  channel: LedgerChannel;
  purpose: LedgerPurpose;
  decision: LedgerDecision;
  /** recordedAt, epoch ms */
  at: number;
  sequence: number;
  /** epoch ms; grants only */
  expiresAt?: number;
}

export interface ExpectedFacts {
  /** The identifier (or customer) was erased: only its keyed hash is kept, every answer is suppress (R8). */
  erased: boolean;
  /** The identifier belongs to a live (not erased) customer. */
  customer?: { restricted: boolean; fullDirectoryBan: boolean; activeContract: boolean };
  /** Every ledger entry recorded against the customer id or any of its identifiers (or the bare identifier). */
  ledger: readonly ExpectedLedgerEntry[];
}

export type Answer = 'allow' | 'suppress';

const RESTRICTIVE = new Set<LedgerDecision>(['withdraw', 'prohibit']);

/** "Latest" in ledger terms: later recordedAt; on the same recordedAt the restrictive entry (v1.1). */
function later(a: ExpectedLedgerEntry, b: ExpectedLedgerEntry): boolean {
  if (a.at !== b.at) return a.at > b.at;
  return RESTRICTIVE.has(a.decision) && !RESTRICTIVE.has(b.decision);
}

function latestOf(entries: ExpectedLedgerEntry[]): ExpectedLedgerEntry | undefined {
  let best: ExpectedLedgerEntry | undefined;
  for (const e of entries) if (!best || later(e, best)) best = e;
  return best;
}

export function expectedDecision(facts: ExpectedFacts, channel: Channel, purpose: Purpose, now = Date.now()): Answer {
  // Rule 1: erased (R8), restricted (R7), prohibited (R5).
  if (facts.erased) return 'suppress';
  if (facts.customer?.restricted) return 'suppress';
  const coveringFor = (p: Purpose) =>
    facts.ledger.filter(
      (e) => (e.channel === channel || e.channel === 'all') && (e.purpose === p || e.purpose === 'all'),
    );
  const covering = coveringFor(purpose);
  // R5: an objection to own- or partner-marketing covers profiling for it.
  const objectionPurposes: Purpose[] =
    purpose === 'profiling' ? ['profiling', 'own-marketing', 'partner-marketing'] : [purpose];
  for (const p of objectionPurposes) {
    const objection = latestOf(
      coveringFor(p).filter((e) => e.decision === 'prohibit' || e.decision === 'lift-prohibition'),
    );
    if (objection?.decision === 'prohibit') return 'suppress';
  }
  const consent = latestOf(covering.filter((e) => e.decision === 'grant' || e.decision === 'withdraw'));
  // Rule 3: a full directory ban suppresses phone and post for partners' marketing (R9).
  const electronic = channel === 'email' || channel === 'sms';
  if (!electronic) {
    if (facts.customer?.fullDirectoryBan && purpose === 'partner-marketing') return 'suppress';
    return consent?.decision === 'withdraw' ? 'suppress' : 'allow'; // rule 6 (R4): a withdrawal is a refusal
  }
  // Rule 5: e-mail/SMS to a natural person; soft opt-in only while the relationship is active (R2).
  const softOptIn = purpose === 'own-marketing' && facts.customer?.activeContract === true;
  if (consent?.decision === 'grant' && (consent.expiresAt === undefined || consent.expiresAt > now)) return 'allow';
  if (consent?.decision === 'withdraw') return 'suppress';
  return softOptIn ? 'allow' : 'suppress';
}
