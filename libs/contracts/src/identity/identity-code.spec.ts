import { identityCodeBirthDate, isValidIdentityCode, normaliseIdentityCode } from './identity-code';

/** Independent implementation of the check character, so the test vectors below are proven rather than trusted. */
function withCheck(body: string): string {
  const digits = body.slice(0, 6) + body.slice(7, 10);
  return body + '0123456789ABCDEFHJKLMNPRSTUVWXY'[Number(digits) % 31];
}

const VALID_CODES = ['131052-308T', '010594Y202E', '020594X303B', '010516B403T', '010501A5013', '040404A605B'];

/**
 * Example codes in circulation for the new century signs (check characters recomputed: the variants 010501A901R
 * and 040404A905B fail the checksum). Their 900-series individual numbers mark temporary codes, so although the
 * checksums hold they are not accepted as permanent identity codes.
 */
const TEMPORARY_CODES = ['010594Y9021', '020594X903P', '020594X902N', '010516B903X', '010501A9010', '040404A9051'];

describe(isValidIdentityCode.name, () => {
  it.each([...VALID_CODES, ...TEMPORARY_CODES])(
    'test vector %s carries the check character the algorithm gives',
    (code) => {
      expect(withCheck(code.slice(0, 10))).toBe(code);
    },
  );

  it.each(VALID_CODES)('accepts %s', (code) => {
    expect(isValidIdentityCode(code)).toBe(true);
  });

  it.each(TEMPORARY_CODES)('rejects temporary code %s', (code) => {
    expect(isValidIdentityCode(code)).toBe(false);
  });

  it.each(['+', '-', 'Y', 'X', 'W', 'V', 'U', 'A', 'B', 'C', 'D', 'E', 'F'])('accepts century sign %s', (sign) => {
    expect(isValidIdentityCode(withCheck(`010203${sign}234`))).toBe(true);
  });

  it.each(['G', 'Z', 'T', '*', '/', '0'])('rejects century sign %s', (sign) => {
    expect(isValidIdentityCode(withCheck(`010203${sign}234`))).toBe(false);
  });

  it('rejects a wrong check character', () => {
    expect(isValidIdentityCode('131052-308U')).toBe(false);
    expect(isValidIdentityCode('010594Y202F')).toBe(false);
    expect(isValidIdentityCode('131052-309T')).toBe(false);
  });

  it.each([
    ['31 February', '310298-123'],
    ['29 February of a common year', '290298-123'],
    ['29 February 1900 (not a leap year)', '290200-123'],
    ['31 April', '310498-123'],
    ['day 0', '000198-123'],
    ['month 0', '010098-123'],
    ['month 13', '011398-123'],
    ['day 32', '320198-123'],
  ])('rejects an impossible birth date: %s', (_, body) => {
    expect(isValidIdentityCode(withCheck(body))).toBe(false);
  });

  it('accepts 29 February of leap years, 2000 included', () => {
    expect(isValidIdentityCode(withCheck('290296-123'))).toBe(true);
    expect(isValidIdentityCode(withCheck('290200A123'))).toBe(true);
    expect(isValidIdentityCode(withCheck('290204B123'))).toBe(true);
  });

  it('accepts individual numbers 002–899 only', () => {
    expect(isValidIdentityCode(withCheck('010203A000'))).toBe(false);
    expect(isValidIdentityCode(withCheck('010203A001'))).toBe(false);
    expect(isValidIdentityCode(withCheck('010203A002'))).toBe(true);
    expect(isValidIdentityCode(withCheck('010203A899'))).toBe(true);
    expect(isValidIdentityCode(withCheck('010203A900'))).toBe(false);
    expect(isValidIdentityCode(withCheck('010203A999'))).toBe(false);
  });

  it('accepts surrounding whitespace and lower case', () => {
    expect(isValidIdentityCode('  010594y202e ')).toBe(true);
    expect(isValidIdentityCode('020594x303b')).toBe(true);
  });

  it('rejects malformed input', () => {
    for (const code of ['', '131052308T', '131052-308', '131052-308TT', '13105-2308T', '1310522-308T', '131052 308T']) {
      expect(isValidIdentityCode(code)).toBe(false);
    }
  });

  it('rejects check characters that are never used (G, I, O, Q, Z)', () => {
    for (const check of ['G', 'I', 'O', 'Q', 'Z']) expect(isValidIdentityCode(`131052-308${check}`)).toBe(false);
  });
});

describe(normaliseIdentityCode.name, () => {
  it('trims and upper-cases', () => {
    expect(normaliseIdentityCode(' 010594y202e\n')).toBe('010594Y202E');
  });
});

describe(identityCodeBirthDate.name, () => {
  it.each([
    ['131052-308T', '1952-10-13'],
    ['010594Y202E', '1994-05-01'],
    ['010516B403T', '2016-05-01'],
    ['290200A1239', '2000-02-29'],
    ['311299+234S', '1899-12-31'],
  ])('reads the birth date of %s', (code, date) => {
    expect(identityCodeBirthDate(code)?.toISOString()).toBe(`${date}T00:00:00.000Z`);
  });

  it('returns null for an invalid code', () => {
    expect(identityCodeBirthDate('131052-308U')).toBeNull();
    expect(identityCodeBirthDate(withCheck('310298-123'))).toBeNull();
  });
});
