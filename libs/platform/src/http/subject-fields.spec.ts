import { bareIdentifierOf, IDENTIFIER_FIELDS, subjectFieldOf } from './subject-fields';
import { ProblemException } from './problem';

const fieldsOf = (action: () => unknown): string[] => {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(ProblemException);
    expect((error as ProblemException).getStatus()).toBe(400);
    return ((error as ProblemException).fieldErrors ?? []).map((e) => e.field);
  }
  throw new Error('no problem thrown');
};

describe(subjectFieldOf.name, () => {
  it('names every allowed field when none is given and the given ones when several are', () => {
    expect(fieldsOf(() => subjectFieldOf({}))).toEqual(['customerId', 'email', 'phone']);
    expect(fieldsOf(() => subjectFieldOf({ email: 'a@b.fi', phone: '+358401234567' }))).toEqual(['email', 'phone']);
    expect(fieldsOf(() => subjectFieldOf({ customerId: 'x' }, IDENTIFIER_FIELDS))).toEqual(['email', 'phone']);
    expect(subjectFieldOf({ phone: '040 123 4567' }, IDENTIFIER_FIELDS)).toBe('phone');
  });
});

describe(bareIdentifierOf.name, () => {
  it('normalises as everywhere (e-mail lower-cased, phone E.164) and names an invalid value', () => {
    expect(bareIdentifierOf({ email: ' Matti@Example.FI ' })).toEqual({ kind: 'email', value: 'matti@example.fi' });
    expect(bareIdentifierOf({ phone: '040 123 4567' })).toEqual({ kind: 'phone', value: '+358401234567' });
    expect(fieldsOf(() => bareIdentifierOf({ email: 'nope' }))).toEqual(['email']);
    expect(fieldsOf(() => bareIdentifierOf({ phone: '12' }))).toEqual(['phone']);
  });
});
