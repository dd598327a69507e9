/**
 * The send decision: the one place where every rule of DESIGN.md §3 "Decision rules" lives.
 *
 * Pure and allocation-light (bulk checks run ~2 000 000 decisions/s in-process): one pass over the ledger
 * without sorting, one pass over the suppression entries, and only the result (plus its reasons) is allocated.
 * Every suppressing reason cites its legal rule (R1…R9, DESIGN.md §1) and that rule's source from `RULES`.
 */
// enums.ts directly, not the `@kielto/contracts` barrel: the barrel also loads class-validator DTOs, which need
// reflect-metadata; the engine stays a dependency-free leaf.
import { RULES } from '../../../../libs/contracts/src/enums';
import type { Channel, ConsentDecision, Purpose, ReasonCode, RuleId } from '../../../../libs/contracts/src/enums';
import type { Decision, LedgerEntryView, Reason, SubjectFacts } from './decision.types';

/** A covering ledger entry of the consent kind: the latest of these decides R1/R2/R3/R6. */
type ConsentEntry = LedgerEntryView & { decision: 'grant' | 'withdraw' };
/** A covering ledger entry of the objection kind: the latest of these decides R5. */
type ProhibitionEntry = LedgerEntryView & { decision: 'prohibit' | 'lift-prohibition' };

/** Sentinel for "no suppression entry of this reason applies" (any real `since` is smaller). */
const NONE = Number.POSITIVE_INFINITY;

/**
 * Decides whether `channel`/`purpose` marketing may be sent to the subject described by `facts` at `now`
 * (epoch ms). Returns `suppress` with every applicable reason in precedence order, or `allow` with none.
 */
export function decide(facts: SubjectFacts, channel: Channel, purpose: Purpose, now: number): Decision {
  const electronic = isElectronic(channel);
  // Erasure keeps only a keyed hash (R8): an erased subject is never an "existing customer", even if a
  // caller passed both by mistake — fail safe.
  const customer = facts.erasedSince === undefined ? facts.customer : undefined;
  const ownMarketingToCustomer = purpose === 'own-marketing' && customer !== undefined;

  // Ledger semantics: only entries covering (channel, purpose) count; per kind the latest one decides.
  let consent: ConsentEntry | undefined;
  let prohibition: ProhibitionEntry | undefined;
  const ledger = facts.ledger;
  for (let i = 0; i < ledger.length; i++) {
    const entry = ledger[i];
    if (
      (entry.channel !== channel && entry.channel !== 'all') ||
      (entry.purpose !== purpose && entry.purpose !== 'all')
    ) {
      continue;
    }
    switch (entry.decision) {
      case 'grant':
      case 'withdraw':
        if (consent === undefined || supersedes(entry, consent)) consent = entry as ConsentEntry;
        break;
      case 'prohibit':
      case 'lift-prohibition':
        if (prohibition === undefined || supersedes(entry, prohibition)) prohibition = entry as ProhibitionEntry;
        break;
      default:
        return assertNever(entry.decision, 'ledger decision');
    }
  }

  const reasons: Reason[] = [];

  // Rule 1 — erased (R8), processing restricted (R7), prohibited (R5). Prohibition always wins.
  if (facts.erasedSince !== undefined) reasons.push(reason('erased', 'R8', facts.erasedSince));
  if (customer?.restrictedSince !== undefined) {
    reasons.push(reason('processing-restricted', 'R7', customer.restrictedSince));
  }
  if (prohibition !== undefined && prohibition.decision === 'prohibit') {
    reasons.push(reason('prohibited', 'R5', prohibition.at));
  }

  // Rule 2 — the opt-out list. All four reasons cite R5: each is a recorded objection (a complaint, a
  // Robinson-register entry) or an operator's block (a hard bounce, a manual entry) that must override every
  // permission in the ledger, exactly like an Art 21 objection. Several entries of one reason report the earliest.
  const entries = facts.suppressionEntries;
  if (entries.length !== 0) {
    // Robinson (the national do-not-call/do-not-mail register) covers phone and post for every purpose except
    // a company's own marketing to its existing customer.
    const robinsonApplies = !electronic && !ownMarketingToCustomer;
    let bounce = NONE;
    let complaint = NONE;
    let robinson = NONE;
    let manual = NONE;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i];
      switch (entry.reason) {
        case 'bounce':
          if (channel === 'email' && entry.since < bounce) bounce = entry.since;
          break;
        case 'complaint':
          if (channel === 'email' && entry.since < complaint) complaint = entry.since;
          break;
        case 'robinson':
          if (robinsonApplies && entry.since < robinson) robinson = entry.since;
          break;
        case 'manual':
          if ((entry.channel === channel || entry.channel === 'all') && entry.since < manual) manual = entry.since;
          break;
        default:
          return assertNever(entry.reason, 'suppression entry reason');
      }
    }
    if (bounce !== NONE) reasons.push(reason('bounce', 'R5', bounce));
    if (complaint !== NONE) reasons.push(reason('complaint', 'R5', complaint));
    if (robinson !== NONE) reasons.push(reason('robinson', 'R5', robinson));
    if (manual !== NONE) reasons.push(reason('manual', 'R5', manual));
  }

  // Rule 3 — a full directory ban: directory data is not disclosed for partners' phone/post marketing (R9).
  if (facts.fullDirectoryBanSince !== undefined && !electronic && purpose === 'partner-marketing') {
    reasons.push(reason('directory-ban', 'R9', facts.fullDirectoryBanSince));
  }

  // Rule 4 — email/SMS needs consent (R1) unless soft opt-in (R2) or an organisation's role contact (R3).
  // Rule 5 — phone/post is allowed unless rules 1–3 suppressed (R4): nothing more to check.
  if (electronic) {
    if (customer !== undefined && customer.organisationRoleContact) {
      // R3: organisations are opt-out — only a withdrawal suppresses; no grant (or an expired one) is fine.
      if (consent !== undefined && consent.decision === 'withdraw') {
        reasons.push(reason('consent-withdrawn', 'R3', consent.at));
      }
    } else if (consent === undefined) {
      // R2 soft opt-in: an existing customer may get own marketing until they opt out.
      if (!ownMarketingToCustomer) reasons.push(reason('no-consent', 'R1', undefined));
    } else {
      switch (consent.decision) {
        case 'withdraw':
          // R6: a withdrawal is honoured as easily as the consent was given — it also ends soft opt-in.
          reasons.push(reason('consent-withdrawn', 'R6', consent.at));
          break;
        case 'grant':
          // R1: an unexpired grant allows; R2: an expired grant still allows own marketing to a customer.
          if (consent.expiresAt !== undefined && consent.expiresAt <= now && !ownMarketingToCustomer) {
            reasons.push(reason('consent-expired', 'R1', consent.expiresAt));
          }
          break;
        default:
          return assertNever(consent.decision, 'consent decision');
      }
    }
  }

  return reasons.length === 0 ? { decision: 'allow', reasons } : { decision: 'suppress', reasons };
}

/** email and SMS are "electronic direct marketing" (R1–R3); phone and post fall under R4. */
function isElectronic(channel: Channel): boolean {
  switch (channel) {
    case 'email':
    case 'sms':
      return true;
    case 'phone':
    case 'post':
      return false;
    default:
      return assertNever(channel, 'channel');
  }
}

/**
 * Whether `candidate` is later than `current`: greater `at`, then greater `sequence`. Entries that still tie
 * (same instant, recorded against different identifiers of one subject) resolve to the more restrictive
 * decision — fail safe.
 */
function supersedes(candidate: LedgerEntryView, current: LedgerEntryView): boolean {
  if (candidate.at !== current.at) return candidate.at > current.at;
  if (candidate.sequence !== current.sequence) return candidate.sequence > current.sequence;
  return isRestrictive(candidate.decision) && !isRestrictive(current.decision);
}

function isRestrictive(decision: ConsentDecision): boolean {
  switch (decision) {
    case 'withdraw':
    case 'prohibit':
      return true;
    case 'grant':
    case 'lift-prohibition':
      return false;
    default:
      return assertNever(decision, 'ledger decision');
  }
}

/** Builds a reason; every reason object has the same shape so call sites stay monomorphic. */
function reason(code: ReasonCode, rule: RuleId, since: number | undefined): Reason {
  return { code, rule, source: RULES[rule], since: since === undefined ? null : new Date(since).toISOString() };
}

/** Exhaustiveness guard; at run time an unknown value (unvalidated input) fails closed by throwing. */
function assertNever(value: never, what: string): never {
  throw new Error(`decide: unknown ${what} ${JSON.stringify(value)}`);
}
