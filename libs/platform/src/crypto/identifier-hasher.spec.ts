import { createHmac } from 'node:crypto';
import { IdentifierHasher } from './identifier-hasher';

describe('IdentifierHasher', () => {
  it('answers HMAC-SHA256 hex of the identifier under the UTF-8 key, as every other party computes it', () => {
    const key = 'avain-ääkkösin-🙂';
    const hasher = new IdentifierHasher(key);
    for (const identifier of ['', 'matti.meikalainen@example.fi', '+358401234567', 'ä'.repeat(200)]) {
      const expected = createHmac('sha256', Buffer.from(key, 'utf8')).update(identifier, 'utf8').digest('hex');
      expect(hasher.hash(identifier)).toBe(expected);
    }
    // A known value, so that a change of encoding on both sides cannot pass unnoticed.
    expect(new IdentifierHasher('key').hash('The quick brown fox jumps over the lazy dog')).toBe(
      'f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8',
    );
  });
});
