import { Channel, CHANNELS, ConsentDecision, LedgerChannel, LedgerPurpose, Purpose, PURPOSES } from '@kielto/contracts';

/**
 * The effective state of a ledger (DESIGN.md §3 "Ledger semantics"), in one pure function so that the API's
 * `current`, the preference page and the tests all read the same rule:
 * - for a concrete (channel, purpose) only entries that cover it count (same value or `all`);
 * - among `grant`/`withdraw` the latest decides, among `prohibit`/`lift-prohibition` the latest decides;
 * - a grant whose `expiresAt` has passed stops counting at that instant, without any write (→ `expired`).
 * "Latest" is the later `at`, then the higher `sequence`; entries that still tie (same instant, recorded against
 * two identifiers of one customer) resolve to the more restrictive decision, exactly as suppression does.
 */

export type ConsentState = 'granted' | 'withdrawn' | 'expired' | 'none';

/** One ledger decision as the derivation needs it (times in epoch ms). */
export interface LedgerDecisionView {
  channel: LedgerChannel;
  purpose: LedgerPurpose;
  decision: ConsentDecision;
  at: number;
  sequence: number;
  expiresAt?: number;
}

export interface CurrentPermission {
  channel: Channel;
  purpose: Purpose;
  consent: ConsentState;
  /** An Art 21 objection covers this (channel, purpose): nothing may be sent, whatever the consent says. */
  prohibited: boolean;
  /** ISO-8601 instant the row last changed (a deciding entry, or a grant's expiry); null when nothing applies. */
  since: string | null;
  /** Expiry of the deciding grant, when it has one. */
  expiresAt?: string;
}

/** The effective state for every concrete channel × purpose, at `now`. */
export function deriveCurrent(entries: readonly LedgerDecisionView[], now: number): CurrentPermission[] {
  const rows: CurrentPermission[] = [];
  for (const channel of CHANNELS) {
    for (const purpose of PURPOSES) rows.push(deriveOne(entries, channel, purpose, now));
  }
  return rows;
}

export function deriveOne(
  entries: readonly LedgerDecisionView[],
  channel: Channel,
  purpose: Purpose,
  now: number,
): CurrentPermission {
  let consent: LedgerDecisionView | undefined;
  let objection: LedgerDecisionView | undefined;
  for (const entry of entries) {
    if (!covers(entry, channel, purpose)) continue;
    switch (entry.decision) {
      case 'grant':
      case 'withdraw':
        if (consent === undefined || isLater(entry, consent)) consent = entry;
        break;
      case 'prohibit':
      case 'lift-prohibition':
        if (objection === undefined || isLater(entry, objection)) objection = entry;
        break;
      default:
        return assertNever(entry.decision);
    }
  }

  let state: ConsentState = 'none';
  let consentSince: number | undefined;
  if (consent?.decision === 'withdraw') {
    state = 'withdrawn';
    consentSince = consent.at;
  } else if (consent?.decision === 'grant') {
    const expired = consent.expiresAt !== undefined && consent.expiresAt <= now;
    state = expired ? 'expired' : 'granted';
    consentSince = expired ? consent.expiresAt : consent.at;
  }
  const since = Math.max(consentSince ?? -Infinity, objection?.at ?? -Infinity);
  return {
    channel,
    purpose,
    consent: state,
    prohibited: objection?.decision === 'prohibit',
    since: Number.isFinite(since) ? new Date(since).toISOString() : null,
    ...(consent?.decision === 'grant' && consent.expiresAt !== undefined
      ? { expiresAt: new Date(consent.expiresAt).toISOString() }
      : {}),
  };
}

export function covers(
  entry: Pick<LedgerDecisionView, 'channel' | 'purpose'>,
  channel: Channel,
  purpose: Purpose,
): boolean {
  return (
    (entry.channel === channel || entry.channel === 'all') && (entry.purpose === purpose || entry.purpose === 'all')
  );
}

/** History order: recorded time, then the subject's sequence. */
export function compareEntries(
  a: Pick<LedgerDecisionView, 'at' | 'sequence'>,
  b: Pick<LedgerDecisionView, 'at' | 'sequence'>,
): number {
  return a.at - b.at || a.sequence - b.sequence;
}

function isLater(candidate: LedgerDecisionView, current: LedgerDecisionView): boolean {
  const order = compareEntries(candidate, current);
  if (order !== 0) return order > 0;
  return isRestrictive(candidate.decision) && !isRestrictive(current.decision);
}

function isRestrictive(decision: ConsentDecision): boolean {
  return decision === 'withdraw' || decision === 'prohibit';
}

function assertNever(value: never): never {
  throw new Error(`unknown ledger decision ${JSON.stringify(value)}`);
}
