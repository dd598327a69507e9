/**
 * Input and output of the send decision. The rules live once, in `libs/contracts/src/rules` (shared with the
 * consents service); imported through the `@kielto/contracts/rules` entry, not the barrel, so the hot path loads no class-validator DTOs.
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
  LedgerEntryView,
} from '@kielto/contracts/rules';
