import { validateSync } from 'class-validator';

import { IsBusinessId, IsIdentityCode, IsNormalisableEmail, IsNormalisablePhone } from './validators';

class Subject {
  @IsIdentityCode()
  identityCode!: unknown;

  @IsBusinessId()
  businessId!: unknown;

  @IsNormalisableEmail()
  email!: unknown;

  @IsNormalisablePhone()
  phone!: unknown;
}

function subject(values: Partial<Subject>): Subject {
  return Object.assign(new Subject(), values);
}

const VALID: Subject = subject({
  identityCode: '131052-308T',
  businessId: '0112038-9',
  email: '  Foo.Bar@Example.COM ',
  phone: '040 123 4567',
});

describe('identity validators', () => {
  it('accept valid and normalisable values', () => {
    expect(validateSync(VALID)).toEqual([]);
  });

  it('reject invalid values with messages that name the property but never contain the value', () => {
    const rejected = {
      identityCode: '131052-308U',
      businessId: '0112038-8',
      email: 'matti.meikalainen-at-example.fi',
      phone: '040 12',
    };
    const errors = validateSync(subject(rejected));

    expect(errors.map((e) => e.property).sort()).toEqual(['businessId', 'email', 'identityCode', 'phone']);
    for (const error of errors) {
      const messages = Object.values(error.constraints ?? {});
      expect(messages).toHaveLength(1);
      expect(messages[0]).toContain(error.property);
      const value = rejected[error.property as keyof typeof rejected];
      for (const message of messages) expect(message).not.toContain(value);
    }
    expect(errors.find((e) => e.property === 'identityCode')?.constraints).toEqual({
      isIdentityCode: 'identityCode must be a valid Finnish personal identity code',
    });
  });

  it('reject values that are not strings', () => {
    const errors = validateSync(subject({ identityCode: 131052, businessId: null, email: {}, phone: 358401234567 }));
    expect(errors).toHaveLength(4);
  });

  it('honour a caller-supplied message', () => {
    class Custom {
      @IsBusinessId({ message: 'company id is wrong' })
      id = '2617416-3';
    }
    expect(validateSync(new Custom())[0].constraints).toEqual({ isBusinessId: 'company id is wrong' });
  });
});
