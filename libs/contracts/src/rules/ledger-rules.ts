/**
 * Ledger semantics of docs/CONTRACT.md §3.6, written once for every service: which entries cover a
 * (channel, purpose), which of them decides, and whom an entry recorded against an identifier binds.
 *
 * Pure and dependency-free (imports `enums.ts` directly, never the barrel, which loads class-validator): the
 * suppression hot path runs it millions of times a second.
 */
import type { Channel, ConsentDecision, LedgerChannel, LedgerPurpose, Purpose } from '../enums';

/** One consent/prohibition ledger entry as the rules need it (times in epoch ms). */
export interface LedgerEntryView {
  channel: LedgerChannel;
  purpose: LedgerPurpose;
  decision: ConsentDecision;
  /** When the entry was recorded (`recordedAt`). */
  at: number;
  /** Position in its own subject's ledger; only for ordering histories, never for deciding (see `supersedes`). */
  sequence: number;
  /** After this instant a `grant` no longer counts (ignored for the other decisions). */
  expiresAt?: number;
}

/** An entry counts for (channel, purpose) when it names that value or `all`, for both. */
export function covers(
  entry: Pick<LedgerEntryView, 'channel' | 'purpose'>,
  channel: Channel,
  purpose: Purpose,
): boolean {
  return (
    (entry.channel === channel || entry.channel === 'all') && (entry.purpose === purpose || entry.purpose === 'all')
  );
}

/** withdraw and prohibit refuse; grant and lift-prohibition permit. */
export function isRestrictive(decision: ConsentDecision): boolean {
  switch (decision) {
    case 'withdraw':
    case 'prohibit':
      return true;
    case 'grant':
    case 'lift-prohibition':
      return false;
    default:
      return unknownDecision(decision);
  }
}

/**
 * Whether `candidate` decides instead of `current` (two entries of the same kind, both covering): the later
 * `recordedAt`; on equal `recordedAt` the restrictive one; between two grants of the same instant the one that
 * expires first. Sequences are never compared: entries of different subjects' ledgers have unrelated sequences
 * (contract v1.1, issue 15 point 8). The order of the input therefore never changes the answer.
 */
export function supersedes(candidate: LedgerEntryView, current: LedgerEntryView): boolean {
  if (candidate.at !== current.at) return candidate.at > current.at;
  const restrictive = isRestrictive(candidate.decision);
  if (restrictive !== isRestrictive(current.decision)) return restrictive;
  return (candidate.expiresAt ?? Infinity) < (current.expiresAt ?? Infinity);
}

/** The deciding entries for one (channel, purpose): the latest grant/withdraw and the latest prohibit/lift. */
export interface LatestEntries {
  consent?: LedgerEntryView;
  prohibition?: LedgerEntryView;
}

/** One pass, no sorting, no allocation beyond the result. */
export function latestCovering(
  ledger: readonly LedgerEntryView[],
  channel: Channel,
  purpose: Purpose,
  into: LatestEntries = {},
): LatestEntries {
  let consent: LedgerEntryView | undefined;
  let prohibition: LedgerEntryView | undefined;
  for (let i = 0; i < ledger.length; i++) {
    const entry = ledger[i];
    if (!covers(entry, channel, purpose)) continue;
    switch (entry.decision) {
      case 'grant':
      case 'withdraw':
        if (consent === undefined || supersedes(entry, consent)) consent = entry;
        break;
      case 'prohibit':
      case 'lift-prohibition':
        if (prohibition === undefined || supersedes(entry, prohibition)) prohibition = entry;
        break;
      default:
        return unknownDecision(entry.decision);
    }
  }
  into.consent = consent;
  into.prohibition = prohibition;
  return into;
}

/**
 * The objection in force for (channel, purpose), or undefined. R5: an objection to own- or partner-marketing also
 * covers profiling for it, so for `profiling` the prohibit/lift state of profiling, own-marketing and
 * partner-marketing are each decided separately and any prohibition counts (the earliest-deciding one is named).
 */
export function objectionInForce(
  ledger: readonly LedgerEntryView[],
  channel: Channel,
  purpose: Purpose,
): LedgerEntryView | undefined {
  const own = latestCovering(ledger, channel, purpose).prohibition;
  let found = own?.decision === 'prohibit' ? own : undefined;
  if (purpose !== 'profiling') return found;
  for (const marketing of PROFILED_PURPOSES) {
    const p = latestCovering(ledger, channel, marketing).prohibition;
    if (p?.decision === 'prohibit' && (found === undefined || p.at < found.at)) found = p;
  }
  return found;
}

const PROFILED_PURPOSES: readonly Purpose[] = ['own-marketing', 'partner-marketing'];

/**
 * Who an entry recorded against an e-mail/phone binds (docs/CONTRACT.md §3.6): a holder of the identifier during
 * `[from, until)` is bound by an entry recorded while they held it (for good — a rectified address keeps its
 * refusals), and by a refusal (withdraw, prohibit) recorded before they acquired it; never by a grant or a lift
 * recorded before they held it (a recycled number must not inherit a consent), nor by anything recorded after
 * they let it go.
 */
export function bindsHolder(entry: Pick<LedgerEntryView, 'at' | 'decision'>, from: number, until: number): boolean {
  if (entry.at >= until) return false;
  return entry.at >= from || isRestrictive(entry.decision);
}

/**
 * Whether an entry recorded against an organisation's customer id binds one of its contact persons (R3): the
 * organisation's refusals and lifts bind them, but an organisation cannot consent for its employees, so its
 * grants do not.
 */
export function bindsContactPerson(entry: Pick<LedgerEntryView, 'decision'>): boolean {
  return entry.decision !== 'grant';
}

function unknownDecision(value: never): never {
  // Unvalidated input fails closed by throwing.
  throw new Error(`unknown ledger decision ${JSON.stringify(value)}`);
}
