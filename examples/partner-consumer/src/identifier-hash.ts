import { createHmac } from 'node:crypto';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

/**
 * The feed's keys are HMAC-SHA256 (lower-case hex) of the *normalised* identifier, keyed with the secret kielto
 * shares with you (KIELTO_PARTNER_HASH_KEY). Normalise exactly like kielto does, or your hashes will not match:
 *
 *   e-mail: trimmed and lower-cased                          ' Matti@Example.FI ' → 'matti@example.fi'
 *   phone:  E.164, national numbers read as Finnish numbers  '040 123 4567'      → '+358401234567'
 */
export function normaliseEmail(raw: string): string | null {
  const email = raw.trim().toLowerCase();
  return /^[^\s@]+@[^\s@.]+(?:\.[^\s@.]+)+$/.test(email) && email.length <= 254 ? email : null;
}

export function normalisePhone(raw: string): string | null {
  const phone = raw.trim();
  if (!/^[\d\s+()./-]+$/.test(phone)) return null;
  const parsed = parsePhoneNumberFromString(phone, 'FI');
  return parsed && !parsed.ext && parsed.isValid() ? parsed.number : null;
}

/** The feed key of an e-mail address or phone number, or null when it is not a valid one. */
export function identifierHash(key: string, kind: 'email' | 'phone', raw: string): string | null {
  const normalised = kind === 'email' ? normaliseEmail(raw) : normalisePhone(raw);
  return normalised === null
    ? null
    : createHmac('sha256', Buffer.from(key, 'utf8')).update(normalised, 'utf8').digest('hex');
}
