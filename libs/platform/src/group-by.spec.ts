import { groupBy } from './group-by';

describe(groupBy.name, () => {
  it('keeps the order of the items within a group and of the keys as they first appear', () => {
    const groups = groupBy(['b1', 'a1', 'b2', 'c1', 'a2'], (s) => s[0]);
    expect([...groups]).toEqual([
      ['b', ['b1', 'b2']],
      ['a', ['a1', 'a2']],
      ['c', ['c1']],
    ]);
  });

  it('answers no groups for no items', () => {
    expect(groupBy([], String).size).toBe(0);
  });
});
