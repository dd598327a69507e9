/**
 * The send decision: the one place where every rule of docs/CONTRACT.md §3.7 "Decision rules" lives.
 *
 * Pure and allocation-light (bulk checks run millions of decisions a second in-process): one pass over the
 * ledger, one over the suppression entries, and only the result (plus its reasons) is allocated. Every
 * suppressing reason cites its legal rule (R1…R11, docs/CONTRACT.md §1) and that rule's source from `RULES`.
 * Whoever calls it gathers the facts first (which entries bind the subject: `ledger-rules.ts`); it does no I/O.
 */
import { PARTNER_HIDDEN_REASONS, PARTNER_OPT_OUT, RULES } from '../enums';
import type {
  Channel,
  PartnerReasonCode,
  Product,
  Purpose,
  ReasonCode,
  RegisterName,
  RuleId,
  SendDecision,
  SuppressionEntryReason,
  LedgerChannel,
} from '../enums';
import { objectionInForce, supersedes, type LedgerEntryView } from './ledger-rules';

/** One entry of the authoritative opt-out list (`POST /v1/suppression/entries`). */
export interface SuppressionEntryView {
  reason: SuppressionEntryReason;
  channel: LedgerChannel;
  /** Epoch ms. */
  since: number;
  /** A row of an outside register (reason `robinson`): the register, and the date of its snapshot in force. */
  register?: RegisterName;
  /** Epoch ms (midnight UTC of the register's date). */
  registerDate?: number;
}

/**
 * What a check found: a bare identifier nobody holds, a customer (a person or an organisation), or a contact
 * person of an organisation (a subject of their own, R3).
 */
export type SubjectKind = 'identifier' | 'person' | 'organization' | 'contact-person';

export interface SubjectFacts {
  subject: SubjectKind;
  /** The customer's relationship (a contact person's: their organisation's). Absent for a bare identifier. */
  activeContract?: boolean;
  /** Epoch ms at which the relationship ended (R2 grace); absent while active or when it never began. */
  relationshipEndedAt?: number;
  /** The customer holds a mobile subscription now (R10). */
  mobileSubscription?: boolean;
  /** Epoch ms since which processing is restricted (R7). */
  restrictedSince?: number;
  /** The latest erasure tombstone on the subject's identifiers (R8). */
  erasedSince?: number;
  /** Every ledger entry that binds the subject (docs/CONTRACT.md §3.6 "Who an entry binds"), in any order. */
  ledger: readonly LedgerEntryView[];
  suppressionEntries: readonly SuppressionEntryView[];
  /** Epoch ms since which the customer has a full directory-publication ban (R9). */
  fullDirectoryBanSince?: number;
  /** The population register (DVV) records a direct-marketing or safety ban on the customer (§3.9). */
  populationRegisterBan?: boolean;
  /**
   * Further subjects found by the same identifier (an address several customers share): each is decided on its
   * own, and the identifier is suppressed when any of them is (the message reaches every holder).
   */
  also?: readonly SubjectFacts[];
}

export interface Reason {
  code: ReasonCode;
  rule: RuleId;
  source: string;
  /** ISO-8601, or null when the reason has no start (e.g. `no-consent`). */
  since: string | null;
  /** `robinson` from an outside register: which one (`since` is the date its row was first seen). */
  register?: RegisterName;
  /** `robinson` from an outside register: the date (YYYY-MM-DD) of the register's snapshot in force. */
  registerDate?: string;
}

export interface Decision {
  decision: SendDecision;
  /** Every applicable suppressing reason in precedence order (rule 1 first); empty for `allow`. */
  reasons: Reason[];
}

/** What is asked: the channel, purpose and (optionally) the product marketed (R10). */
export interface DecisionQuery {
  channel: Channel;
  purpose: Purpose;
  product?: Product;
}

/** Deployment settings the rules read. */
export interface DecisionPolicy {
  /** R2: soft opt-in lasts this long after a relationship ended (`KIELTO_SOFT_OPT_IN_GRACE_DAYS`, default 0). */
  softOptInGraceMs: number;
}

export const DEFAULT_POLICY: DecisionPolicy = Object.freeze({ softOptInGraceMs: 0 });

/** Sentinel for "no suppression entry of this reason applies" (any real `since` is smaller). */
const NONE = Number.POSITIVE_INFINITY;

/**
 * Decides whether the marketing asked about may be sent to the subject(s) `facts` describe at `now` (epoch ms):
 * `suppress` with every applicable reason in precedence order, or `allow` with none.
 */
export function decide(
  facts: SubjectFacts,
  query: DecisionQuery,
  now: number,
  policy: DecisionPolicy = DEFAULT_POLICY,
): Decision {
  const first = decideOne(facts, query, now, policy);
  const also = facts.also;
  if (also === undefined || also.length === 0) return first;
  let reasons = first.reasons;
  for (const other of also) reasons = mergeReasons(reasons, decideOne(other, query, now, policy).reasons);
  return reasons.length === 0 ? first : { decision: 'suppress', reasons };
}

/** R2's test: the relationship is active, or ended less than the grace period ago. */
export function relationshipActive(facts: SubjectFacts, now: number, policy: DecisionPolicy): boolean {
  if (facts.subject === 'identifier') return false;
  if (facts.activeContract === true) return true;
  const ended = facts.relationshipEndedAt;
  return ended !== undefined && policy.softOptInGraceMs > 0 && now - ended < policy.softOptInGraceMs;
}

function decideOne(facts: SubjectFacts, query: DecisionQuery, now: number, policy: DecisionPolicy): Decision {
  const channel = query.channel;
  const purpose = query.purpose;
  const electronic = isElectronic(channel);
  const subject = facts.subject;
  const optOutSubject = subject === 'organization' || subject === 'contact-person';
  const ownToActive = purpose === 'own-marketing' && relationshipActive(facts, now, policy);

  // Ledger semantics (`ledger-rules.ts`): only covering entries count; per kind the latest decides (ties: the
  // restrictive one). The loop is `latestCovering` inlined: this runs millions of times a second.
  let consent: LedgerEntryView | undefined;
  let prohibition: LedgerEntryView | undefined;
  const ledger = facts.ledger;
  for (let i = 0; i < ledger.length; i++) {
    const entry = ledger[i];
    if (
      (entry.channel !== channel && entry.channel !== 'all') ||
      (entry.purpose !== purpose && entry.purpose !== 'all')
    ) {
      continue;
    }
    if (entry.decision === 'grant' || entry.decision === 'withdraw') {
      if (consent === undefined || supersedes(entry, consent)) consent = entry;
    } else if (prohibition === undefined || supersedes(entry, prohibition)) prohibition = entry;
  }
  const objection =
    purpose === 'profiling'
      ? objectionInForce(ledger, channel, purpose)
      : prohibition?.decision === 'prohibit'
        ? prohibition
        : undefined;
  const liveGrant = consent?.decision === 'grant' && (consent.expiresAt === undefined || consent.expiresAt > now);

  const reasons: Reason[] = [];

  // Rule 1 — erased (R8), processing restricted (R7), prohibited (R5). Prohibition always wins.
  if (facts.erasedSince !== undefined && !grantAfter(facts.ledger, query, facts.erasedSince)) {
    reasons.push(reason('erased', 'R8', facts.erasedSince));
  }
  if (facts.restrictedSince !== undefined) reasons.push(reason('processing-restricted', 'R7', facts.restrictedSince));
  if (objection !== undefined) reasons.push(reason('prohibited', 'R5', objection.at));

  // Rule 2 — the opt-out list: bounces and complaints stop e-mail; a Robinson entry stops the channel of its
  // register (phone, post, or both for `all`) for every purpose except own-marketing to an active customer (R4);
  // a manual entry stops the channel given. Several entries of one reason report the earliest.
  const entries = facts.suppressionEntries;
  if (entries.length !== 0) {
    let bounce = NONE;
    let complaint = NONE;
    let robinson = NONE;
    let robinsonEntry: SuppressionEntryView | undefined;
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
          if (
            !ownToActive &&
            !electronic &&
            (entry.channel === channel || entry.channel === 'all') &&
            entry.since < robinson
          ) {
            robinson = entry.since;
            robinsonEntry = entry;
          }
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
    if (robinson !== NONE) reasons.push(robinsonReason(robinsonEntry!));
    if (manual !== NONE) reasons.push(reason('manual', 'R5', manual));
  }

  // Rule 2 (this project's extension, §3.9) — a DVV ban (direct-marketing or safety) is a refusal of post marketing
  // recorded in the population register: post is suppressed for every purpose, relationship or not (R4).
  if (facts.populationRegisterBan === true && channel === 'post') {
    reasons.push(reason('population-register-ban', 'R4', undefined));
  }

  // Rule 3 — a full directory ban: directory data is not disclosed for partners' phone/post marketing (R9).
  if (facts.fullDirectoryBanSince !== undefined && !electronic && purpose === 'partner-marketing') {
    reasons.push(reason('directory-ban', 'R9', facts.fullDirectoryBanSince));
  }

  // Rule 4 — §201: mobile subscriptions are telemarketed to consumers only at their express request (a live
  // grant) or, for own marketing, to the operator's own active mobile customers (R10). An unknown number is a
  // consumer.
  if (
    channel === 'phone' &&
    query.product === 'mobile-subscription' &&
    (purpose === 'own-marketing' || purpose === 'partner-marketing') &&
    !optOutSubject &&
    !liveGrant &&
    !(ownToActive && facts.mobileSubscription === true)
  ) {
    reasons.push(reason('mobile-telemarketing-ban', 'R10', undefined));
  }

  if (electronic) {
    // Rule 5 — e-mail/SMS.
    if (optOutSubject) {
      // R3: organisations and contact persons are opt-out: only a withdrawal (the latest entry) suppresses.
      if (consent?.decision === 'withdraw') reasons.push(reason('consent-withdrawn', 'R3', consent.at));
    } else if (consent === undefined) {
      // R2 soft opt-in: an active customer may get own marketing until they refuse.
      if (!ownToActive) reasons.push(reason('no-consent', 'R1', undefined));
    } else if (consent.decision === 'withdraw') {
      // R6: a withdrawal is honoured as easily as the consent was given — it also ends soft opt-in.
      reasons.push(reason('consent-withdrawn', 'R6', consent.at));
    } else if (!liveGrant && !ownToActive) {
      // R1: an expired grant no longer allows; R2 still allows own marketing to an active customer.
      reasons.push(reason('consent-expired', 'R1', consent.expiresAt));
    }
  } else if (consent?.decision === 'withdraw') {
    // Rule 6 — phone/post are opt-out: a withdrawal covering them is a refusal (R4).
    reasons.push(reason('consent-withdrawn', 'R4', consent.at));
  }

  return reasons.length === 0 ? { decision: 'allow', reasons } : { decision: 'suppress', reasons };
}

/** R8: a grant covering the question, recorded after the erasure and binding the subject, beats the tombstone. */
function grantAfter(ledger: readonly LedgerEntryView[], query: DecisionQuery, erasedAt: number): boolean {
  for (let i = 0; i < ledger.length; i++) {
    const e = ledger[i];
    if (
      e.decision === 'grant' &&
      e.at > erasedAt &&
      (e.channel === query.channel || e.channel === 'all') &&
      (e.purpose === query.purpose || e.purpose === 'all')
    ) {
      return true;
    }
  }
  return false;
}

/** Reasons of two subjects: one per code, the earliest `since`, in the order of `REASON_ORDER`. */
function mergeReasons(a: Reason[], b: Reason[]): Reason[] {
  if (b.length === 0) return a;
  if (a.length === 0) return b;
  const byCode = new Map<ReasonCode, Reason>();
  for (const r of [...a, ...b]) {
    const held = byCode.get(r.code);
    if (held === undefined || (r.since !== null && (held.since === null || r.since < held.since)))
      byCode.set(r.code, r);
  }
  return [...byCode.values()].sort((x, y) => REASON_ORDER.indexOf(x.code) - REASON_ORDER.indexOf(y.code));
}

/** Precedence order of reasons in an answer (rule 1 first). */
const REASON_ORDER: readonly ReasonCode[] = [
  'erased',
  'processing-restricted',
  'prohibited',
  'bounce',
  'complaint',
  'robinson',
  'manual',
  'population-register-ban',
  'directory-ban',
  'mobile-telemarketing-ban',
  'consent-withdrawn',
  'consent-expired',
  'no-consent',
];

/** A reason as a partner may see it (R11): `opt-out` carries no rule or source. */
export interface PartnerReason {
  code: PartnerReasonCode;
  rule?: RuleId;
  source?: string;
  since: string | null;
}

const HIDDEN: ReadonlySet<ReasonCode> = new Set(PARTNER_HIDDEN_REASONS);

/**
 * R11: partners learn only that an identifier is suppressed for a channel and purpose, never which data-subject
 * right was used: `erased`, `processing-restricted` and `population-register-ban` (a safety ban above all) become
 * one `opt-out` (the earlier `since`), without rule or source.
 */
export function forPartner(reasons: readonly Reason[]): PartnerReason[] {
  let optOut: PartnerReason | undefined;
  const out: PartnerReason[] = [];
  for (const r of reasons) {
    if (!HIDDEN.has(r.code)) out.push(r as PartnerReason);
    else if (optOut === undefined) out.push((optOut = { code: PARTNER_OPT_OUT, since: r.since }));
    else if (r.since !== null && (optOut.since === null || r.since < optOut.since)) optOut.since = r.since;
  }
  return out;
}

/** email and SMS are "electronic direct marketing" (R1–R3); phone and post fall under R4. */
export function isElectronic(channel: Channel): boolean {
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

/** Builds a reason; every reason object has the same shape so call sites stay monomorphic. */
function reason(code: ReasonCode, rule: RuleId, since: number | undefined): Reason {
  return { code, rule, source: RULES[rule], since: since === undefined ? null : new Date(since).toISOString() };
}

/** `robinson` (R4); a register's row also names the register and the date of its snapshot in force. */
function robinsonReason(entry: SuppressionEntryView): Reason {
  const r = reason('robinson', 'R4', entry.since);
  if (entry.register !== undefined) {
    r.register = entry.register;
    if (entry.registerDate !== undefined) r.registerDate = new Date(entry.registerDate).toISOString().slice(0, 10);
  }
  return r;
}

/** Exhaustiveness guard; at run time an unknown value (unvalidated input) fails closed by throwing. */
function assertNever(value: never, what: string): never {
  throw new Error(`decide: unknown ${what} ${JSON.stringify(value)}`);
}
