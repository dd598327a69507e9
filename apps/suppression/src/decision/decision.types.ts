/**
 * Input and output of the send decision. The rules live once, in `libs/contracts/src/rules` (shared with the
 * consents service); imported by path, not through the barrel, so the hot path loads no class-validator DTOs.
 */
export type {
  Decision,
  DecisionPolicy,
  DecisionQuery,
  PartnerReason,
  Reason,
  SubjectFacts,
  SubjectKind,
  SuppressionEntryView,
} from '../../../../libs/contracts/src/rules/decision-rules';
export type { LedgerEntryView } from '../../../../libs/contracts/src/rules/ledger-rules';
