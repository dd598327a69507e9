import type { PartnerReasonCode } from './enums';

/**
 * Value of the compacted partner feed `kielto.suppression.v1`, keyed by the HMAC-SHA256 hex of the
 * normalised identifier. A tombstone (null value) means nothing is suppressed for that identifier any more.
 * Carries no personal data besides the key.
 *
 * `suppressions` lists the explicit opt-outs only (never `no-consent` or `consent-expired`, which are the
 * absence of a permission rather than an objection). `channel`/`purpose` are `all` when a suppression
 * applies to every channel/purpose. `updatedAt` is the newest `since` among the suppressions, so that every
 * instance and every replay writes exactly the same value for the same state.
 */
export interface SuppressionFeedValueV1 {
  specversion: '1.0';
  type: 'fi.kielto.suppression.current.v1';
  kind: 'email' | 'phone';
  /** Reason codes as a partner may see them: `opt-out` in place of `erased` and `processing-restricted` (R11). */
  suppressions: { code: PartnerReasonCode; channel: string; purpose: string; since: string }[];
  updatedAt: string;
}

export const SUPPRESSION_FEED_TYPE = 'fi.kielto.suppression.current.v1';
