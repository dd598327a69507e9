import { Readable } from 'node:stream';
import { exceedsDepth } from './bootstrap';

const nested = (levels: number): object => {
  let value: object = {};
  for (let i = 1; i < levels; i++) value = i % 2 ? [value] : { a: value };
  return value;
};

describe('exceedsDepth', () => {
  it('accepts JSON up to the limit and refuses one level more, through objects and arrays', () => {
    expect(exceedsDepth(nested(32), 32)).toBe(false);
    expect(exceedsDepth(nested(33), 32)).toBe(true);
  });

  it('does not walk bodies that are not parsed JSON (a stream handed to a route as it is)', () => {
    const stream = Readable.from(['{"a":1}\n']);
    expect(exceedsDepth(stream, 1)).toBe(false);
    expect(exceedsDepth({ body: stream }, 2)).toBe(false);
  });

  it('is iterative: a million levels are measured without exhausting the stack', () => {
    expect(exceedsDepth(nested(1_000_000), 32)).toBe(true);
  });
});
