import { randomInt } from 'node:crypto';

/**
 * Customer numbers: `K` followed by seven random digits and a Luhn check digit (e.g. `K40512738`). Short
 * enough to read out on the phone; the check digit catches a mistyped digit and most swapped neighbours, so a
 * wrong number is rejected instead of finding somebody else. Numbers are random rather than sequential (they
 * reveal nothing about how many customers there are); uniqueness is guarded by the store, which draws again
 * on a collision.
 */
export const CUSTOMER_NUMBER_PATTERN = /^K\d{8}$/;
const BODY_DIGITS = 7;

export function luhnCheckDigit(digits: string): number {
  let sum = 0;
  // Double every second digit counting from the right, starting with the rightmost payload digit.
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

export function generateCustomerNumber(random: (min: number, max: number) => number = randomInt): string {
  // The first digit is never 0, so a number keeps its length in spreadsheets that drop leading zeros.
  const body = String(random(10 ** (BODY_DIGITS - 1), 10 ** BODY_DIGITS));
  return `K${body}${luhnCheckDigit(body)}`;
}

/** What a number that `normaliseCustomerNumber` refuses is told, wherever one is typed in. */
export const INVALID_CUSTOMER_NUMBER = 'customerNumber must be K and 8 digits with a valid check digit';

/** Canonical form of a typed-in number: spaces and hyphens dropped, letter upper-cased; null when invalid. */
export function normaliseCustomerNumber(raw: string): string | null {
  if (typeof raw !== 'string') return null;
  const value = raw.replace(/[\s-]/g, '').toUpperCase();
  if (!CUSTOMER_NUMBER_PATTERN.test(value)) return null;
  const body = value.slice(1, 1 + BODY_DIGITS);
  return luhnCheckDigit(body) === Number(value[1 + BODY_DIGITS]) ? value : null;
}
