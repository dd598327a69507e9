import { Contact, IdentifierField, MAX_REF_LENGTH, normaliseIdentifierField } from './contact-reader';

/** A contact read by `readPlainLine`, with its ref already as JSON (the answer line's `"ref":` value). */
export interface PlainContact extends Contact {
  refJson: string;
}

const QUOTE = 34;
const BACKSLASH = 92;
const COLON = 58;
const COMMA = 44;
const OPEN = 123;
const CLOSE = 125;
const ZERO = 48;
const NINE = 57;
/** Longest integer ref read here: 15 digits are exact as a double, so the number's JSON is the digits as sent. */
const MAX_REF_DIGITS = 15;

/** JSON whitespace but the newline (which ends a line before it gets here). */
const isSpace = (c: number) => c === 32 || c === 9 || c === 13;

function skipSpace(text: string, at: number, end: number): number {
  while (at < end && isSpace(text.charCodeAt(at))) at++;
  return at;
}

/**
 * The index of the quote closing the JSON string that starts after the quote at `at - 1`; -1 for anything this does
 * not read as plain text: an escape, a control character (invalid JSON), a surrogate (left to JSON.parse and
 * JSON.stringify, which treat lone ones specially), or no closing quote before `end`.
 */
function plainStringEnd(text: string, at: number, end: number): number {
  for (; at < end; at++) {
    const c = text.charCodeAt(at);
    if (c === QUOTE) return at;
    if (c === BACKSLASH || c < 0x20 || (c >= 0xd800 && c <= 0xdfff)) return -1;
  }
  return -1;
}

/** Which key the string text[from, to) is: 'ref', an identifier field, or undefined for any other. */
function keyAt(text: string, from: number, to: number): 'ref' | IdentifierField | undefined {
  switch (to - from) {
    case 3:
      return text.startsWith('ref', from) ? 'ref' : undefined;
    case 5:
      return text.startsWith('email', from) ? 'email' : text.startsWith('phone', from) ? 'phone' : undefined;
    case 9:
      return text.startsWith('emailHash', from)
        ? 'emailHash'
        : text.startsWith('phoneHash', from)
          ? 'phoneHash'
          : undefined;
    case 10:
      return text.startsWith('customerId', from) ? 'customerId' : undefined;
    default:
      return undefined;
  }
}

/**
 * Reads the common shape of a stream line — one object with an optional `ref` (a string, or an integer of at most
 * 15 digits) and exactly one valid identifier (`email`, `phone`, `customerId`, `emailHash`, `phoneHash`), both plain
 * strings without escapes — straight from the text, without JSON.parse and the object it builds.
 *
 * Returns undefined for anything else, valid or not: the caller then takes the general path (JSON.parse and
 * readContact), which gives every other line, and every error, its one answer. So a contact returned here is exactly
 * what that path would give for the line, and `refJson` exactly JSON.stringify of its ref
 * (plain-line.spec.ts checks both over many generated lines).
 */
export function readPlainLine(text: string, start: number, end: number): PlainContact | undefined {
  // The text goes on past `end` (the next lines): nothing there is read.
  const code = (i: number) => (i < end ? text.charCodeAt(i) : -1);
  let at = skipSpace(text, start, end);
  if (code(at) !== OPEN) return undefined;
  let ref: string | number | null = null;
  let refJson: string | undefined;
  let field: IdentifierField | undefined;
  let raw: string | undefined;
  for (;;) {
    at = skipSpace(text, at + 1, end);
    if (code(at) !== QUOTE) return undefined;
    const keyEnd = plainStringEnd(text, at + 1, end);
    if (keyEnd === -1) return undefined;
    const key = keyAt(text, at + 1, keyEnd);
    at = skipSpace(text, keyEnd + 1, end);
    if (key === undefined || code(at) !== COLON) return undefined;
    at = skipSpace(text, at + 1, end);
    const c = code(at);
    if (key === 'ref') {
      // A repeated key is JSON.parse's last-one-wins: left to it.
      if (refJson !== undefined) return undefined;
      if (c === QUOTE) {
        const valueEnd = plainStringEnd(text, at + 1, end);
        if (valueEnd === -1 || valueEnd - at - 1 > MAX_REF_LENGTH) return undefined;
        ref = text.slice(at + 1, valueEnd);
        refJson = text.slice(at, valueEnd + 1);
        at = valueEnd + 1;
      } else if (c >= ZERO && c <= NINE) {
        let digitsEnd = at + 1;
        if (c !== ZERO) {
          while (code(digitsEnd) >= ZERO && code(digitsEnd) <= NINE) digitsEnd++;
        }
        // A fraction, an exponent or a leading zero ends up at the separator check below.
        if (digitsEnd - at > MAX_REF_DIGITS) return undefined;
        refJson = text.slice(at, digitsEnd);
        ref = Number(refJson);
        at = digitsEnd;
      } else return undefined;
    } else {
      if (field !== undefined || c !== QUOTE) return undefined;
      const valueEnd = plainStringEnd(text, at + 1, end);
      if (valueEnd === -1) return undefined;
      field = key;
      raw = text.slice(at + 1, valueEnd);
      at = valueEnd + 1;
    }
    at = skipSpace(text, at, end);
    const separator = code(at);
    if (separator === CLOSE) break;
    if (separator !== COMMA) return undefined;
  }
  if (skipSpace(text, at + 1, end) !== end || field === undefined) return undefined;
  const value = normaliseIdentifierField(field, raw);
  if (value === null) return undefined;
  return { ref, field, value, refJson: refJson ?? 'null' };
}
