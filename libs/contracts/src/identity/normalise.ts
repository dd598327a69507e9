import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

/** RFC 5321 caps a forward path at 256 octets including the angle brackets, leaving 254 for the address. */
const MAX_EMAIL_LENGTH = 254;

/**
 * Deliberately a plausibility check, not RFC 5322: the only proof an address works is a delivered message.
 * The domain is written as dot-separated labels that cannot contain dots themselves, so there is exactly one
 * way to match any input and the regex stays linear (no catastrophic backtracking in the hot path).
 */
const EMAIL_PATTERN = /^[^\s@]+@[^\s@.]+(?:\.[^\s@.]+)+$/;

/** Already canonical E.164: the shape every number is stored in, so most hot-path lookups take this route. */
const E164_PATTERN = /^\+[1-9]\d{6,14}$/;

/**
 * libphonenumber happily extracts a number out of surrounding text ("call 040 123 4567 now", "tel:+358…"),
 * which is right for free text but wrong for a field that must hold a phone number and nothing else.
 */
const PHONE_CHARACTERS = /^[\d\s+()./-]+$/;

const DEFAULT_PHONE_REGION = 'FI';

/** Big enough to hold a campaign's working set of numbers, small enough (a few MB) to never matter. */
const PHONE_CACHE_LIMIT = 100_000;
const phoneCache = new Map<string, string | null>();

export type IdentifierKind = 'email' | 'phone';

/** Trimmed, lower-cased address, or null when it cannot plausibly be an e-mail address. */
export function normaliseEmail(raw: string): string | null {
  if (typeof raw !== 'string') return null;
  const email = raw.trim().toLowerCase();
  if (email.length > MAX_EMAIL_LENGTH || !EMAIL_PATTERN.test(email)) return null;
  return email;
}

/** The number in E.164 (national numbers read as Finnish), or null when it is not a valid number. */
export function normalisePhone(raw: string): string | null {
  if (typeof raw !== 'string') return null;
  const phone = raw.trim();
  if (!E164_PATTERN.test(phone)) return parsePhone(phone);
  const cached = phoneCache.get(phone);
  if (cached !== undefined) return cached;
  const result = parsePhone(phone);
  // Clearing beats LRU bookkeeping here: a refill costs one parse per number and keeps the hit path a single get.
  if (phoneCache.size >= PHONE_CACHE_LIMIT) phoneCache.clear();
  phoneCache.set(phone, result);
  return result;
}

export function normaliseIdentifier(kind: IdentifierKind, raw: string): string | null {
  switch (kind) {
    case 'email':
      return normaliseEmail(raw);
    case 'phone':
      return normalisePhone(raw);
    default:
      return null;
  }
}

function parsePhone(phone: string): string | null {
  if (!PHONE_CHARACTERS.test(phone)) return null;
  const parsed = parsePhoneNumberFromString(phone, DEFAULT_PHONE_REGION);
  // An extension would be dropped from the E.164 form, silently merging it with the main line's identity.
  if (!parsed || parsed.ext || !parsed.isValid()) return null;
  return parsed.number;
}
