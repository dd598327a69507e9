import { isValidBusinessId } from './business-id';

describe(isValidBusinessId.name, () => {
  it.each(['0112038-9', '2617416-4'])('accepts %s', (id) => {
    expect(isValidBusinessId(id)).toBe(true);
  });

  it.each(['0112038-8', '0112038-0', '2617416-3', '2617416-5'])('rejects a wrong check digit: %s', (id) => {
    expect(isValidBusinessId(id)).toBe(false);
  });

  it('accepts check digit 0 when the remainder is 0', () => {
    // 1000010: 1·7 + 1·4 = 11, remainder 0
    expect(isValidBusinessId('1000010-0')).toBe(true);
    expect(isValidBusinessId('1000010-1')).toBe(false);
  });

  it('rejects a body whose remainder is 1, whatever the check digit', () => {
    // 0000110: 1·8 + 1·4 = 12, remainder 1
    for (let check = 0; check <= 9; check++) expect(isValidBusinessId(`0000110-${check}`)).toBe(false);
  });

  it.each(['112038-9', '00112038-9', '01120389', '0112038 9', '0112038-', ' 0112038-9', 'O112038-9', ''])(
    'rejects malformed input %p',
    (id) => {
      expect(isValidBusinessId(id)).toBe(false);
    },
  );
});
