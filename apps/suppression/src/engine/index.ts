/**
 * The suppression engine: plain code, no Nest, no database, no Kafka. The Nest shell around it (projection, feed,
 * snapshots, HTTP) uses only what this file exports.
 *
 * - the state: `SuppressionState`, a column store of customers, identifiers, ledgers, bans, staff entries and
 *   registers (typed arrays and interned words; `identifier-map.ts`, `register-set.ts`), which answers the facts of a
 *   contact (`factsForIdentifier`, `factsForCustomer`, postal words) and its digest;
 * - applying an event: `applyEvent(state, event, affected)` (the projection rules, idempotent by sequence);
 * - deciding: `decide` and `forPartner`, the contract's rules from `@kielto/contracts/rules` (written once, shared
 *   with the consents service);
 * - snapshots: `encodeState` and `applyChunk` (format 3, `snapshot-codec.ts`).
 */
export { applyEvent } from './apply-event';
export { decide, DEFAULT_POLICY, forPartner, relationshipActive } from './decision-engine';
export type {
  Decision,
  DecisionPolicy,
  DecisionQuery,
  LedgerEntryView,
  PartnerReason,
  Reason,
  SubjectFacts,
  SubjectKind,
  SuppressionEntryView,
} from './decision.types';
export { IdentifierMap, NONE } from './identifier-map';
export { RegisterSet } from './register-set';
export type { RegisterHead } from './register-set';
export { applyChunk, encodeState } from './snapshot-codec';
export type { EncodedChunk } from './snapshot-codec';
export { SuppressionState } from './suppression-state';
export type {
  AffectedIdentifiers,
  BanRecord,
  CustomerRecord,
  FormerPoint,
  HeldPoint,
  IdentifierKind,
  StaffEntry,
  StateDigest,
  StateFact,
  StoredLedgerEntry,
} from './suppression-state';
