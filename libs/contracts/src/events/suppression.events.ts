import { ReasonCode } from '../enums';

/**
 * Value of the compacted partner feed `kielto.suppression.v1`, keyed by the HMAC-SHA256 hex of the
 * normalised identifier. A tombstone (null value) means nothing is suppressed for that identifier any more.
 * Carries no personal data besides the key.
 */
export interface SuppressionFeedValueV1 {
  specversion: '1.0';
  type: 'fi.kielto.suppression.current.v1';
  kind: 'email' | 'phone';
  suppressions: { code: ReasonCode; channel: string; purpose: string; since: string }[];
  updatedAt: string;
}
