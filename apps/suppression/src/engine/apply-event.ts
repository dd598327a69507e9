import {
  CONSENT_EVENT_TYPES,
  CUSTOMER_EVENT_TYPES,
  decodeRegisterHashes,
  DIRECTORY_BAN_EVENT_TYPES,
  subjectKey,
  SUPPRESSION_ENTRY_EVENT_TYPES,
} from '@kielto/contracts/event-names';
import type {
  ContactPointHashV1,
  FormerContactPointV1,
  KieltoEvent,
  RegisterChangedV1,
  SuppressionEntryV1,
} from '@kielto/contracts/events';
import {
  AffectedIdentifiers,
  CustomerRecord,
  FormerPoint,
  HeldPoint,
  StaffEntry,
  SuppressionState,
} from './suppression-state';

/**
 * Applies one event to the state, adding the identifiers it affects (as they were before the change, and after)
 * before it changes anything (the projector's partner feed relies on that order). Events already held (a replay, a
 * redelivery) change nothing, which makes replaying cheap as well as harmless. False: a type without a projection
 * (the compiler holds every type `parseEvent` accepts to a case here).
 */
export function applyEvent(state: SuppressionState, event: KieltoEvent, affected: AffectedIdentifiers): boolean {
  switch (event.type) {
    case CUSTOMER_EVENT_TYPES.created:
    case CUSTOMER_EVENT_TYPES.updated:
    case CUSTOMER_EVENT_TYPES.restricted:
    case CUSTOMER_EVENT_TYPES.restrictionLifted: {
      const d = event.data;
      state.addCustomerIdentifiers(d.customerId, affected);
      for (const cp of d.contactPoints) affected.set(cp.hash, cp.kind);
      if (isOlderCustomerEvent(state, d.customerId, event.sequence)) return true;
      const since = Date.parse(d.since);
      const record: CustomerRecord = {
        customerId: d.customerId,
        sequence: event.sequence,
        kind: d.kind,
        since,
        restrictedSince: d.restrictedSince ? Date.parse(d.restrictedSince) : undefined,
        activeContract: d.activeContract,
        relationshipEndedAt: d.relationshipEndedAt ? Date.parse(d.relationshipEndedAt) : undefined,
        mobileSubscription: d.products?.includes('mobile-subscription') ?? false,
        ...(d.populationRegisterBans?.length ? { populationRegisterBan: true } : {}),
        contactPoints: d.contactPoints.map((cp) => heldPoint(cp, since)),
        formerContactPoints: (d.formerContactPoints ?? []).map(formerPoint),
      };
      // The postal identity is held like an identifier, for postal checks (not on the partner feed).
      if (d.postalHash !== undefined) {
        record.contactPoints.push({ kind: 'post', hash: d.postalHash, owner: 'own', from: since });
      }
      state.applyCustomer(record);
      return true;
    }
    case CUSTOMER_EVENT_TYPES.erased: {
      const d = event.data;
      state.addCustomerIdentifiers(d.customerId, affected);
      for (const cp of d.contactPoints) affected.set(cp.hash, cp.kind);
      if (isOlderCustomerEvent(state, d.customerId, event.sequence)) return true;
      const at = Date.parse(d.erasedAt);
      // Nothing but the keyed hashes survives erasure (R8); kind and since are fixed values so that the
      // record does not depend on whether the (compacted-away) creation event was ever seen.
      const record: CustomerRecord = {
        customerId: d.customerId,
        sequence: event.sequence,
        kind: 'person',
        since: at,
        erasedAt: at,
        activeContract: false,
        mobileSubscription: false,
        contactPoints: d.contactPoints.map((cp) => heldPoint(cp, at)),
        formerContactPoints: [],
      };
      state.applyCustomer(record);
      return true;
    }
    case CONSENT_EVENT_TYPES.recorded: {
      const d = event.data;
      const key = subjectKey(d.subject);
      state.addSubjectIdentifiers(d.subject, affected);
      if (state.isLedgerEntryKnownOrErased(key, d.sequence)) return true;
      const entry = {
        subjectKey: key,
        sequence: d.sequence,
        channel: d.channel,
        purpose: d.purpose,
        decision: d.decision,
        at: Date.parse(d.recordedAt),
        expiresAt: d.expiresAt ? Date.parse(d.expiresAt) : undefined,
      };
      state.applyLedgerEntry(entry);
      return true;
    }
    case CONSENT_EVENT_TYPES.erased: {
      const d = event.data;
      const key = subjectKey(d.subject);
      state.addSubjectIdentifiers(d.subject, affected);
      state.eraseLedger(key, event.sequence);
      // An identifier's ledger erased (a bare identifier, or an erased customer's identifier held now or before):
      // its keyed hash stays as a tombstone (R8), so what it refused stays refused after its ledger is gone.
      if (d.tombstone === true && d.subject.type !== 'customer')
        state.markErased(d.subject.key, Date.parse(d.erasedAt));
      return true;
    }
    case DIRECTORY_BAN_EVENT_TYPES.set:
    case DIRECTORY_BAN_EVENT_TYPES.lifted: {
      const d = event.data;
      const full = 'scope' in d && d.scope === 'full';
      state.addCustomerIdentifiers(d.customerId, affected);
      if ((state.banSequence(d.customerId) ?? 0) >= event.sequence) return true;
      const ban = {
        customerId: d.customerId,
        sequence: event.sequence,
        fullSince: full ? Date.parse(d.since) : undefined,
      };
      state.applyBan(ban);
      return true;
    }
    case SUPPRESSION_ENTRY_EVENT_TYPES.added:
      applyStaffEntry(state, event.data, affected);
      return true;
    case SUPPRESSION_ENTRY_EVENT_TYPES.imported:
      for (const entry of event.data.entries) applyStaffEntry(state, entry, affected);
      return true;
    case SUPPRESSION_ENTRY_EVENT_TYPES.removed: {
      const d = event.data;
      const at = Date.parse(d.removedAt);
      const held = state.staffEntry(d.entryId);
      if (held) affected.set(held.hash, held.kind);
      else if (d.hash !== undefined && d.kind !== undefined) affected.set(d.hash, d.kind);
      if (!held && state.isStaffEntryRemoved(d.entryId)) return true;
      state.removeStaffEntry(d.entryId, at);
      return true;
    }
    case SUPPRESSION_ENTRY_EVENT_TYPES.registerChanged:
      applyRegisterChange(state, event.data, event.sequence);
      return true;
    default: {
      // parseEvent only lets known types through, and the compiler holds each of them to a case above.
      const unprojected: never = event;
      void unprojected;
      return false;
    }
  }
}

function applyStaffEntry(state: SuppressionState, d: SuppressionEntryV1, affected: AffectedIdentifiers): void {
  affected.set(d.hash, d.kind);
  if (state.staffEntry(d.entryId) || state.isStaffEntryRemoved(d.entryId)) return;
  const entry: StaffEntry = {
    id: d.entryId,
    hash: d.hash,
    kind: d.kind,
    reason: d.reason,
    channel: d.channel,
    since: Date.parse(d.since),
  };
  state.addStaffEntry(entry);
}

/**
 * A part of a register snapshot's difference. No partner-feed value changes: the feed leaves the outside registers'
 * rows out (partners take ASML's registers from ASML; docs/CONTRACT.md §3.9).
 */
function applyRegisterChange(state: SuppressionState, d: RegisterChangedV1, sequence: number): void {
  const set = state.register(d.register);
  if (sequence <= set.head.sequence) return;
  const added = decodeRegisterHashes(d.added);
  const removed = decodeRegisterHashes(d.removed);
  const snapshot = d.last ? { inputSha256: d.inputSha256 } : undefined;
  state.applyRegisterChange(d.register, sequence, d.registerDate, added, removed, snapshot);
}

function isOlderCustomerEvent(state: SuppressionState, customerId: string, sequence: number): boolean {
  return (state.customerSequence(customerId) ?? 0) >= sequence;
}

/** A contact point as the state holds it; events before contract v1.1 carry no `from` (read as `since`). */
function heldPoint(cp: ContactPointHashV1, since: number): HeldPoint {
  const held: HeldPoint = {
    kind: cp.kind,
    hash: cp.hash,
    owner: cp.owner,
    from: cp.from ? Date.parse(cp.from) : since,
  };
  if (cp.person !== undefined) held.person = cp.person;
  return held;
}

function formerPoint(fp: FormerContactPointV1): FormerPoint {
  const former: FormerPoint = {
    kind: fp.kind,
    hash: fp.hash,
    owner: fp.owner,
    from: Date.parse(fp.from),
    until: Date.parse(fp.until),
  };
  if (fp.person !== undefined) former.person = fp.person;
  return former;
}
