import { createHmac, randomBytes } from 'node:crypto';
import { FastIdentifierHasher } from './fast-hasher';

const reference = (key: string, value: string) =>
  createHmac('sha256', Buffer.from(key, 'utf8')).update(value, 'utf8').digest('hex');

describe(FastIdentifierHasher.name, () => {
  it.each([
    ['a short key', 'test-partner-hash-key-0123456789abcdef'],
    ['a key longer than the SHA-256 block', 'k'.repeat(200)],
    ['a non-ASCII key', 'avain-äöå-€-0123456789'],
  ])('equals HMAC-SHA256 hex with %s', (_, key) => {
    const hasher = new FastIdentifierHasher(key);
    const values = [
      '',
      'matti@example.fi',
      '+358401234567',
      'äiti.öljy@esimerkki.fi',
      '😀'.repeat(10),
      'x'.repeat(5000),
      // longer than the instance's first memory page holds: the memory grows
      'y'.repeat(70_000),
      'ö'.repeat(30_000),
    ];
    for (let i = 0; i < 200; i++) values.push(randomBytes(1 + (i % 90)).toString('base64'));
    for (const value of values) expect(hasher.hash(value)).toBe(reference(key, value));
  });

  it('equals HMAC-SHA256 for every length around the block boundaries, in ASCII and in multi-byte UTF-8', () => {
    const key = 'test-partner-hash-key-0123456789abcdef';
    const hasher = new FastIdentifierHasher(key);
    for (let length = 0; length <= 200; length++) {
      for (const unit of ['a', 'ä', '€', '😀']) {
        const value = unit.repeat(Math.ceil(length / unit.length)).slice(0, length);
        expect({ length, unit, hash: hasher.hash(value) }).toEqual({ length, unit, hash: reference(key, value) });
      }
    }
    // lone surrogates are encoded as U+FFFD, as Hmac#update does
    expect(hasher.hash('x\ud800y')).toBe(reference(key, 'x\ud800y'));
  });

  it('gives the same answer when a long value is followed by a short one (no stale bytes)', () => {
    const key = 'test-partner-hash-key-0123456789abcdef';
    const hasher = new FastIdentifierHasher(key);
    hasher.hash('a-very-long-address-that-fills-the-buffer@example.fi');
    expect(hasher.hash('a@b.fi')).toBe(reference(key, 'a@b.fi'));
  });
});
