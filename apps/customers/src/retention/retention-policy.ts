import { CommittedCustomer, CustomerRecord, holdInForce } from '../customers/customer-record';

export const DAY_MS = 86_400_000;

/** Relationships that ended before this instant are due for erasure. */
export const retentionCutoff = (now: number, retentionDays: number): number => now - retentionDays * DAY_MS;

/**
 * What the retention job does with a customer whose relationship a hint says ended at `endedAt` (GDPR Art 5(1)(e):
 * kept no longer than the basis lasts; Art 17(3)(e): unless a legal hold keeps it):
 * - `stale`: the hint no longer describes the customer (erased, contract resumed, or ended again later): drop it;
 * - `held`: due, but a legal hold is in force: keep the hint, ask again next run;
 * - `not-yet`: ended, but not before the cutoff;
 * - `due`: erase.
 */
export type RetentionVerdict = 'stale' | 'held' | 'not-yet' | 'due';

export function retentionVerdict(
  endedAt: string,
  current: CommittedCustomer | undefined,
  cutoff: number,
  now: number,
): RetentionVerdict {
  if (!current || current.erased || !stillEndedAt(current.record, endedAt)) return 'stale';
  if (!(Date.parse(endedAt) < cutoff)) return 'not-yet';
  return holdInForce(current.record.legalHold, now) ? 'held' : 'due';
}

/** The relationship the hint describes is the customer's current state. */
export const stillEndedAt = (record: CustomerRecord, endedAt: string): boolean =>
  !record.activeContract && record.relationshipEndedAt === endedAt;
