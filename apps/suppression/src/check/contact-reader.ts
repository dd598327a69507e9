import {
  Channel,
  CHANNELS,
  normaliseEmail,
  normalisePhone,
  normalisePostalIdentity,
  POSTAL_FIELDS,
  PostalField,
  Product,
  PRODUCTS,
  Purpose,
  PURPOSES,
} from '@kielto/contracts';
import type { FieldError } from '@kielto/platform';

/**
 * Hand-written validation of contacts to check. Bulk requests carry up to 10 000 of them and the stream
 * millions, where class-validator costs more than the decision itself; the rules and messages are the same
 * as the DTOs' (see dto/check-query.dto.ts), and the field names follow the pipe's (`contacts[17].email`).
 */

export const IDENTIFIER_FIELDS = ['email', 'phone', 'customerId', 'emailHash', 'phoneHash'] as const;
export type IdentifierField = (typeof IDENTIFIER_FIELDS)[number];

/** A contact that passed validation, its identifier already normalised. */
export interface Contact {
  ref: string | number | null;
  /** `postal`: a name with a postal address (`name`, `street`, `postalCode`, `city?`: one identifier) */
  field: IdentifierField | 'postal';
  /** normalised e-mail/E.164 phone, customer id, the 64-hex hash, or the postal identity (`normalisePostalIdentity`) */
  value: string;
}

const isPostalField = (key: string): key is PostalField => (POSTAL_FIELDS as readonly string[]).includes(key);

export const MAX_REF_LENGTH = 256;

/** 64 lower-case hex characters (a keyed hash); by hand, as the regular expression costs more on the stream's path. */
function isHex64(text: string): boolean {
  if (text.length !== 64) return false;
  for (let i = 0; i < 64; i++) {
    const c = text.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}
/** Customer ids are opaque: whatever the customers service issues, within the subject-key alphabet. */
const CUSTOMER_ID = /^[A-Za-z0-9_-]{1,64}$/;
const EXACTLY_ONE =
  'exactly one of email, phone, customerId, emailHash, phoneHash or a postal identity (name, street, postalCode, city?) is required';

export const MESSAGES = {
  email: 'email must be a valid e-mail address',
  phone: 'phone must be a valid phone number',
  customerId: 'customerId must be 1-64 characters of A-Z, a-z, 0-9, _ or -',
  emailHash: 'emailHash must be 64 lower-case hex characters',
  phoneHash: 'phoneHash must be 64 lower-case hex characters',
  ref: `ref must be a string of at most ${MAX_REF_LENGTH} characters or a number`,
  channel: `channel must be one of the following values: ${CHANNELS.join(', ')}`,
  purpose: `purpose must be one of the following values: ${PURPOSES.join(', ')}`,
} as const;

const isIdentifierField = (key: string): key is IdentifierField =>
  key === 'email' || key === 'phone' || key === 'customerId' || key === 'emailHash' || key === 'phoneHash';

/** Validates and normalises one identifier value; null when invalid. */
export function normaliseIdentifierField(field: IdentifierField, raw: unknown): string | null {
  if (typeof raw !== 'string') return null;
  switch (field) {
    case 'email':
      return normaliseEmail(raw);
    case 'phone':
      return normalisePhone(raw);
    case 'customerId':
      return CUSTOMER_ID.test(raw) ? raw : null;
    case 'emailHash':
    case 'phoneHash':
      return isHex64(raw) ? raw : null;
  }
}

/**
 * Reads one contact object. On failure adds field errors under `path` (e.g. `contacts[3]`; empty for the
 * stream and the query string, where fields are named bare) and returns undefined.
 */
export function readContact(raw: unknown, path: string, errors: FieldError[]): Contact | undefined {
  const at = (field: string) => (path === '' ? field : `${path}.${field}`);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    errors.push({ field: path === '' ? 'contact' : path, message: 'each contact must be an object' });
    return undefined;
  }
  const before = errors.length;
  let ref: string | number | null = null;
  let field: IdentifierField | undefined;
  let value: string | null = null;
  let identifiers = 0;
  let postal: Record<string, unknown> | undefined;
  const record = raw as Record<string, unknown>;
  for (const key in record) {
    const v = record[key];
    if (v === undefined) continue;
    if (key === 'ref') {
      if ((typeof v === 'string' && v.length <= MAX_REF_LENGTH) || (typeof v === 'number' && Number.isFinite(v)))
        ref = v;
      else errors.push({ field: at('ref'), message: MESSAGES.ref });
    } else if (isIdentifierField(key)) {
      identifiers++;
      field = key;
      value = normaliseIdentifierField(key, v);
      if (value === null) errors.push({ field: at(key), message: MESSAGES[key] });
    } else if (isPostalField(key)) {
      if (postal === undefined) {
        postal = {};
        identifiers++;
      }
      postal[key] = v;
    } else {
      errors.push({ field: at(key), message: `property ${key} should not exist` });
    }
  }
  if (identifiers !== 1) errors.push({ field: path === '' ? 'contact' : path, message: EXACTLY_ONE });
  else if (postal !== undefined) {
    const identity = normalisePostalIdentity(postal, errors, at);
    return errors.length === before && identity !== null ? { ref, field: 'postal', value: identity } : undefined;
  }
  if (errors.length !== before || field === undefined || value === null) return undefined;
  return { ref, field, value };
}

export const isHashed = (contact: Contact) => contact.field === 'emailHash' || contact.field === 'phoneHash';

export function readChannel(raw: unknown, errors: FieldError[]): Channel | undefined {
  if (typeof raw === 'string' && (CHANNELS as readonly string[]).includes(raw)) return raw as Channel;
  errors.push({ field: 'channel', message: MESSAGES.channel });
  return undefined;
}

/** The optional `product` of a check (R10): absent, or one of `PRODUCTS`. */
export function readProduct(raw: unknown, errors: FieldError[]): Product | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw === 'string' && (PRODUCTS as readonly string[]).includes(raw)) return raw as Product;
  errors.push({ field: 'product', message: `product must be one of: ${PRODUCTS.join(', ')}` });
  return undefined;
}

export function readPurpose(raw: unknown, errors: FieldError[]): Purpose | undefined {
  if (typeof raw === 'string' && (PURPOSES as readonly string[]).includes(raw)) return raw as Purpose;
  errors.push({ field: 'purpose', message: MESSAGES.purpose });
  return undefined;
}
