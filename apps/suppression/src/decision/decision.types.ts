/**
 * Input and output of the send decision (DESIGN.md §3 "Decision rules"). The engine is pure: whoever calls it
 * gathers these facts first (from the suppression store's projections of the customers, consents and
 * directory-bans topics) and passes them in; the engine never performs I/O.
 */
import type {
  ConsentDecision,
  LedgerChannel,
  LedgerPurpose,
  ReasonCode,
  RuleId,
  SendDecision,
  SuppressionEntryReason,
} from '../../../../libs/contracts/src/enums';

/** One consent/prohibition ledger entry as the decision needs it. */
export interface LedgerEntryView {
  channel: LedgerChannel;
  purpose: LedgerPurpose;
  decision: ConsentDecision;
  /** Epoch ms at which the entry was recorded. */
  at: number;
  /** Per-subject order; breaks ties between entries with the same `at`. */
  sequence: number;
  /** Epoch ms after which a `grant` no longer counts (ignored for the other decisions). */
  expiresAt?: number;
}

/** One entry of the authoritative opt-out list (`POST /v1/suppression/entries`). */
export interface SuppressionEntryView {
  reason: SuppressionEntryReason;
  channel: LedgerChannel;
  /** Epoch ms. */
  since: number;
}

export interface SubjectFacts {
  /** The matched customer, if the contact belongs to one that is not erased. */
  customer?: {
    /** Epoch ms since which processing is restricted (R7); absent when not restricted. */
    restrictedSince?: number;
    /** true when the address/number is an organisation's own (role) contact, not a named person */
    organisationRoleContact: boolean;
    /** Epoch ms since which the subject has been a customer. */
    since: number;
  };
  /** Set when the identifier (or customer) was erased: only the keyed hash is kept (R8). */
  erasedSince?: number;
  /** All ledger entries that apply to the subject (already gathered across the customer id and all its identifiers), in any order. */
  ledger: readonly LedgerEntryView[];
  suppressionEntries: readonly SuppressionEntryView[];
  /** Epoch ms since which the customer has a full directory-publication ban (R9). */
  fullDirectoryBanSince?: number;
}

export interface Reason {
  code: ReasonCode;
  rule: RuleId;
  source: string;
  /** ISO-8601, or null when the reason has no start (e.g. `no-consent`). */
  since: string | null;
}

export interface Decision {
  decision: SendDecision;
  /** Every applicable suppressing reason in precedence order (DESIGN.md §3 rule 1 first); empty for `allow`. */
  reasons: Reason[];
}
