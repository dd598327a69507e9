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
    ];
    for (let i = 0; i < 200; i++) values.push(randomBytes(1 + (i % 90)).toString('base64'));
    for (const value of values) expect(hasher.hash(value)).toBe(reference(key, value));
  });

  it('gives the same answer when a long value is followed by a short one (no stale bytes)', () => {
    const key = 'test-partner-hash-key-0123456789abcdef';
    const hasher = new FastIdentifierHasher(key);
    hasher.hash('a-very-long-address-that-fills-the-buffer@example.fi');
    expect(hasher.hash('a@b.fi')).toBe(reference(key, 'a@b.fi'));
  });
});
