import { generateCustomerNumber, luhnCheckDigit, normaliseCustomerNumber } from './customer-number';

describe('customer numbers', () => {
  it('computes the Luhn check digit of known vectors', () => {
    // 7992739871 → 3 is the textbook example; 4111111111111111 is a well-known valid card number.
    expect(luhnCheckDigit('7992739871')).toBe(3);
    expect(luhnCheckDigit('411111111111111')).toBe(1);
  });

  it('generates K + 8 digits that validate, never starting with 0', () => {
    for (let i = 0; i < 1000; i++) {
      const n = generateCustomerNumber();
      expect(n).toMatch(/^K[1-9]\d{7}$/);
      expect(normaliseCustomerNumber(n)).toBe(n);
    }
  });

  it('uses the given randomness (so collisions can be retried with a fresh draw)', () => {
    expect(generateCustomerNumber(() => 1234567)).toBe(`K1234567${luhnCheckDigit('1234567')}`);
  });

  it('spreads numbers widely', () => {
    const drawn = new Set(Array.from({ length: 2000 }, () => generateCustomerNumber()));
    expect(drawn.size).toBeGreaterThan(1990);
  });

  it('normalises typed-in forms', () => {
    const n = generateCustomerNumber(() => 4051273);
    expect(normaliseCustomerNumber(` ${n.toLowerCase().slice(0, 5)} ${n.slice(5)} `)).toBe(n);
    expect(normaliseCustomerNumber(`${n.slice(0, 4)}-${n.slice(4)}`)).toBe(n);
  });

  it('rejects a mistyped digit and swapped neighbours', () => {
    const n = generateCustomerNumber(() => 4051273);
    const wrongDigit = n.slice(0, 3) + String((Number(n[3]) + 1) % 10) + n.slice(4);
    const swapped = n.slice(0, 2) + n[3] + n[2] + n.slice(4);
    expect(normaliseCustomerNumber(wrongDigit)).toBeNull();
    if (n[2] !== n[3]) expect(normaliseCustomerNumber(swapped)).toBeNull();
  });

  it.each(['', 'K123', 'X12345678', 'K1234567890', '12345678'])('rejects %p', (raw) => {
    expect(normaliseCustomerNumber(raw)).toBeNull();
  });
});
