import { normaliseEmail, normaliseIdentifier, normalisePhone } from './normalise';

describe(normaliseEmail.name, () => {
  it('trims and lower-cases', () => {
    expect(normaliseEmail('  Foo.Bar@Example.COM ')).toBe('foo.bar@example.com');
  });

  it.each(['a@b.fi', 'first.last+tag@sub.example.co.uk', "o'brien@example.ie", 'äiti@esimerkki.fi'])(
    'accepts %p',
    (email) => {
      expect(normaliseEmail(email)).toBe(email);
    },
  );

  it.each([
    'not-an-email',
    '',
    '   ',
    '@example.com',
    'foo@',
    'foo@example',
    'foo@@example.com',
    'foo@bar@example.com',
    'foo bar@example.com',
    'foo@exa mple.com',
    'foo@.example.com',
    'foo@example.com.',
    'foo@example..com',
  ])('rejects %p', (email) => {
    expect(normaliseEmail(email)).toBeNull();
  });

  it('accepts 254 characters and rejects 255', () => {
    const domain = '@example.com';
    expect(normaliseEmail('a'.repeat(254 - domain.length) + domain)).not.toBeNull();
    expect(normaliseEmail('a'.repeat(255 - domain.length) + domain)).toBeNull();
  });

  it('stays fast on long pathological input', () => {
    const started = process.hrtime.bigint();
    for (let i = 0; i < 1000; i++) normaliseEmail('a@' + 'a.'.repeat(5000) + ' ');
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(1000);
  });
});

describe(normalisePhone.name, () => {
  it.each([
    ['040 123 4567', '+358401234567'],
    ['0401234567', '+358401234567'],
    ['  040-123 4567 ', '+358401234567'],
    ['(040) 123 4567', '+358401234567'],
    ['+358 40 123 4567', '+358401234567'],
    ['00358401234567', '+358401234567'],
    ['+358401234567', '+358401234567'],
    ['09 1234567', '+35891234567'],
    ['+46 70 123 45 67', '+46701234567'],
    ['+46701234567', '+46701234567'],
  ])('normalises %p to %p', (raw, e164) => {
    expect(normalisePhone(raw)).toBe(e164);
  });

  it.each([
    '12',
    '',
    '+358',
    '+3581234567890123',
    '+35800000000',
    'not a phone',
    'call 040 123 4567',
    'tel:+358401234567',
    '040 123 4567 ext. 12',
  ])('rejects %p', (raw) => {
    expect(normalisePhone(raw)).toBeNull();
  });

  it('gives the same answer from the cache as from the first parse', () => {
    for (let i = 0; i < 3; i++) {
      expect(normalisePhone('+358401234567')).toBe('+358401234567');
      expect(normalisePhone('+35800000000')).toBeNull();
    }
  });

  it('keeps working after the cache fills up and is cleared', () => {
    for (let i = 0; i < 100_001; i++) normalisePhone(`+3584${String(i).padStart(8, '0')}`);
    expect(normalisePhone('+358401234567')).toBe('+358401234567');
    expect(normalisePhone('+46701234567')).toBe('+46701234567');
  });
});

describe(normaliseIdentifier.name, () => {
  it('dispatches on the kind', () => {
    expect(normaliseIdentifier('email', ' A@B.FI ')).toBe('a@b.fi');
    expect(normaliseIdentifier('phone', '040 123 4567')).toBe('+358401234567');
    expect(normaliseIdentifier('email', '040 123 4567')).toBeNull();
    expect(normaliseIdentifier('phone', 'a@b.fi')).toBeNull();
  });
});
