/** Shared vocabulary of the public contract (docs/CONTRACT.md §3). Values are part of the API: do not rename. */

export const CHANNELS = ['email', 'sms', 'phone', 'post'] as const;
export type Channel = (typeof CHANNELS)[number];
/** A ledger entry may cover every channel at once. */
export const LEDGER_CHANNELS = [...CHANNELS, 'all'] as const;
export type LedgerChannel = (typeof LEDGER_CHANNELS)[number];

export const PURPOSES = ['own-marketing', 'partner-marketing', 'profiling', 'market-research'] as const;
export type Purpose = (typeof PURPOSES)[number];
export const LEDGER_PURPOSES = [...PURPOSES, 'all'] as const;
export type LedgerPurpose = (typeof LEDGER_PURPOSES)[number];

export const CONSENT_DECISIONS = ['grant', 'withdraw', 'prohibit', 'lift-prohibition'] as const;
export type ConsentDecision = (typeof CONSENT_DECISIONS)[number];

export const SEND_DECISIONS = ['allow', 'suppress'] as const;
export type SendDecision = (typeof SEND_DECISIONS)[number];

export const SUPPRESSION_ENTRY_REASONS = ['bounce', 'complaint', 'robinson', 'manual'] as const;
export type SuppressionEntryReason = (typeof SUPPRESSION_ENTRY_REASONS)[number];

/**
 * Outside opt-out registers kept in sync as full snapshots (this project's extension, docs/CONTRACT.md §3.9):
 * ASML's Robinson registers of phone numbers and of names with postal addresses.
 */
export const REGISTERS = ['asml-phone', 'asml-post'] as const;
export type RegisterName = (typeof REGISTERS)[number];
/** The one channel each register stops (R4). */
export const REGISTER_CHANNEL: Readonly<Record<RegisterName, 'phone' | 'post'>> = Object.freeze({
  'asml-phone': 'phone',
  'asml-post': 'post',
});

export const REASON_CODES = [
  'no-consent',
  'consent-withdrawn',
  'consent-expired',
  'prohibited',
  'directory-ban',
  'processing-restricted',
  'erased',
  'bounce',
  'complaint',
  'robinson',
  'manual',
  'mobile-telemarketing-ban',
  // This project's extension (docs/CONTRACT.md §3.9): a DVV (population register) ban on the customer.
  'population-register-ban',
] as const;
export type ReasonCode = (typeof REASON_CODES)[number];

/**
 * What a `partner` key's answers and the partner feed show in place of `erased` and `processing-restricted`
 * (R11): that an identifier is suppressed, never which data-subject right was used.
 */
export const PARTNER_OPT_OUT = 'opt-out' as const;
/** Reasons a partner sees only as `opt-out`: each reveals a right the data subject used (R11). */
export const PARTNER_HIDDEN_REASONS = ['erased', 'processing-restricted', 'population-register-ban'] as const;
export type PartnerReasonCode = Exclude<ReasonCode, (typeof PARTNER_HIDDEN_REASONS)[number]> | typeof PARTNER_OPT_OUT;

/**
 * Bans the population information system (DVV) records on a person (this project's extension, docs/CONTRACT.md
 * §3.9): `direct-marketing` (suoramarkkinointikielto) stops post marketing for every purpose; `safety`
 * (turvakielto) also keeps the person out of every directory listing and export and the address out of every event
 * and answer except the person's own export.
 */
export const POPULATION_REGISTER_BANS = ['direct-marketing', 'safety'] as const;
export type PopulationRegisterBan = (typeof POPULATION_REGISTER_BANS)[number];

/** Legal rules of docs/CONTRACT.md §1; every decision reason cites one. */
export const RULES = {
  R1: 'Act 917/2014 §200(1)',
  R2: 'Act 917/2014 §200(2)-(3)',
  R3: 'Act 917/2014 §202, Data Protection Ombudsman guidance',
  R4: 'GDPR Art 21, Consumer Protection Act ch 2, ASML self-regulation',
  R5: 'GDPR Art 21(2)-(3)',
  R6: 'GDPR Art 7(1),(3)',
  R7: 'GDPR Art 18',
  R8: 'GDPR Art 17, Art 21(3)',
  R9: 'ePrivacy Art 12, Act 917/2014 §§195-196',
  R10: 'Act 917/2014 §201 (HE 35/2024)',
  R11: 'GDPR Art 5(1)(c), Art 25',
} as const;
export type RuleId = keyof typeof RULES;

/**
 * `dpo` (data protection officer) alone, besides admin, may read identity codes in clear: the data-subject export
 * and the identity-code search. Staff manage customers without that power.
 */
export const ROLES = ['admin', 'staff', 'marketing', 'partner', 'dpo'] as const;
export type Role = (typeof ROLES)[number];

export const CUSTOMER_KINDS = ['person', 'organization'] as const;
export type CustomerKind = (typeof CUSTOMER_KINDS)[number];

/** Product categories a customer holds now (contract v1.1, R10: §201 mobile-subscription telemarketing). */
export const PRODUCTS = [
  'mobile-subscription',
  'mobile-broadband',
  'fixed-broadband',
  'fixed-phone',
  'tv',
  'other',
] as const;
export type Product = (typeof PRODUCTS)[number];

export const LANGUAGES = ['fi', 'sv', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];

export const DIRECTORY_BAN_SCOPES = ['full', 'partial'] as const;
export type DirectoryBanScope = (typeof DIRECTORY_BAN_SCOPES)[number];
export const DIRECTORY_FIELDS = ['address', 'phone', 'name'] as const;
export type DirectoryField = (typeof DIRECTORY_FIELDS)[number];
export const DIRECTORY_OUTLETS = ['printed', 'online', 'inquiry-service', 'reverse-search'] as const;
export type DirectoryOutlet = (typeof DIRECTORY_OUTLETS)[number];

/** The right a data-subject request exercises (GDPR Art 15-18, 20, 21): customers' request desk, the console. */
export const REQUEST_TYPES = ['access', 'rectification', 'erasure', 'restriction', 'objection', 'portability'] as const;
export type RequestType = (typeof REQUEST_TYPES)[number];

/**
 * What another service's write adds to a request's trail (`X-Kielto-Dsr` on POST /v1/consents): a prohibition is an
 * objection (Art 21), a withdrawal of consent (Art 7(3)) a withdrawal. Customers' own writes name theirs in code.
 */
/** The header a write names its data-subject request with (its id on customers' request desk). */
export const DSR_HEADER_NAME = 'X-Kielto-Dsr';
export const PEER_TRAIL_ACTIONS = ['objection', 'withdrawal'] as const;
export type PeerTrailAction = (typeof PEER_TRAIL_ACTIONS)[number];

/** How a data-subject request reached the organisation. */
export const REQUEST_CHANNELS = ['letter', 'email', 'phone', 'web', 'in-person'] as const;
export type RequestChannel = (typeof REQUEST_CHANNELS)[number];
