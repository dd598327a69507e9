/**
 * Finnish personal identity code (henkilötunnus): DDMMYY, century sign, individual number NNN, check character.
 * The 2023 reform added Y X W V U (1900s) and B C D E F (2000s) as alternatives to '-' and 'A', so that
 * the individual numbers of a single birth date no longer run out; all of them must be accepted.
 */
const IDENTITY_CODE_PATTERN = /^(\d{2})(\d{2})(\d{2})([-+A-FU-Y])(\d{3})([0-9A-FHJ-NPR-Y])$/;

const CHECK_CHARACTERS = '0123456789ABCDEFHJKLMNPRSTUVWXY';

const CENTURY_BY_SIGN: Readonly<Record<string, number>> = {
  '+': 1800,
  '-': 1900,
  Y: 1900,
  X: 1900,
  W: 1900,
  V: 1900,
  U: 1900,
  A: 2000,
  B: 2000,
  C: 2000,
  D: 2000,
  E: 2000,
  F: 2000,
};

/** 000 and 001 are never issued, and 900–999 are temporary numbers that do not identify a person for good. */
const MIN_INDIVIDUAL_NUMBER = 2;
const MAX_INDIVIDUAL_NUMBER = 899;

/** Codes are compared and stored in this form: surrounding whitespace removed, letters upper-case. */
export function normaliseIdentityCode(code: string): string {
  return code.trim().toUpperCase();
}

export function isValidIdentityCode(code: string): boolean {
  return identityCodeBirthDate(code) !== null;
}

/** The birth date (UTC midnight) of a valid identity code, or null when the code is not valid. */
export function identityCodeBirthDate(code: string): Date | null {
  if (typeof code !== 'string') return null;
  const match = IDENTITY_CODE_PATTERN.exec(normaliseIdentityCode(code));
  if (!match) return null;
  const [, dd, mm, yy, sign, nnn, check] = match;

  const individualNumber = Number(nnn);
  if (individualNumber < MIN_INDIVIDUAL_NUMBER || individualNumber > MAX_INDIVIDUAL_NUMBER) return null;
  if (CHECK_CHARACTERS[Number(dd + mm + yy + nnn) % 31] !== check) return null;

  const year = CENTURY_BY_SIGN[sign] + Number(yy);
  const month = Number(mm);
  const day = Number(dd);
  // Date.UTC rolls 31.2. over into March, so a date is real only if it survives the round trip unchanged.
  const birthDate = new Date(Date.UTC(year, month - 1, day));
  if (birthDate.getUTCFullYear() !== year || birthDate.getUTCMonth() !== month - 1 || birthDate.getUTCDate() !== day) {
    return null;
  }
  return birthDate;
}
