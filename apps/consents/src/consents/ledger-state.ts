import {
  Channel,
  CHANNELS,
  latestCovering,
  LedgerEntryView,
  objectionInForce,
  Purpose,
  PURPOSES,
} from '@kielto/contracts';

/**
 * The effective state of a ledger (docs/CONTRACT.md §3.6 "Ledger semantics") as the API's `current` and the preference page
 * show it. Which entry decides is the shared rule of `@kielto/contracts` (`latestCovering`, `objectionInForce`:
 * the same code suppression decides with); a grant whose `expiresAt` has passed shows as `expired`, and `prohibited`
 * includes an objection to own- or partner-marketing for profiling (R5).
 */

export type ConsentState = 'granted' | 'withdrawn' | 'expired' | 'none';

/** One ledger decision as the derivation needs it (times in epoch ms). */
export type LedgerDecisionView = LedgerEntryView;

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
  /**
   * Own-marketing by e-mail/SMS that soft opt-in allows without consent: the subject is a customer whose relationship
   * is active and who has not refused (R2, §200(2)-(3)); the preference page says so and offers the refusal.
   */
  allowedByRelationship?: true;
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
  const { consent, prohibition } = latestCovering(entries, channel, purpose);
  const objection = objectionInForce(entries, channel, purpose);
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
  const since = Math.max(consentSince ?? -Infinity, prohibition?.at ?? -Infinity, objection?.at ?? -Infinity);
  return {
    channel,
    purpose,
    consent: state,
    prohibited: objection !== undefined,
    since: Number.isFinite(since) ? new Date(since).toISOString() : null,
    ...(consent?.decision === 'grant' && consent.expiresAt !== undefined
      ? { expiresAt: new Date(consent.expiresAt).toISOString() }
      : {}),
  };
}

/** History order: recorded time, then the subject's sequence (display only; deciding never compares sequences). */
export function compareEntries(
  a: Pick<LedgerDecisionView, 'at' | 'sequence'>,
  b: Pick<LedgerDecisionView, 'at' | 'sequence'>,
): number {
  return a.at - b.at || a.sequence - b.sequence;
}
