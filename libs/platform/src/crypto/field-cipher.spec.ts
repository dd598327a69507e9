import { randomBytes } from 'node:crypto';
import { EncryptedField, FieldCipher, FieldCipherError } from './field-cipher';

const newKey = (id: string) => `${id}:${randomBytes(32).toString('base64')}`;

describe(FieldCipher.name, () => {
  const k1 = newKey('k1');
  const k2 = newKey('k2');

  it('round-trips a value, with a fresh nonce each time and no plaintext in the sealed form', () => {
    const cipher = new FieldCipher(k1);
    const a = cipher.encrypt('131052-308T', 'customer-1');
    const b = cipher.encrypt('131052-308T', 'customer-1');
    expect(a.keyId).toBe('k1');
    expect(a.iv).not.toBe(b.iv);
    expect(a.data).not.toBe(b.data);
    expect(JSON.stringify(a)).not.toContain('131052');
    expect(cipher.decrypt(a, 'customer-1')).toBe('131052-308T');
    expect(cipher.decrypt(b, 'customer-1')).toBe('131052-308T');
  });

  it('decrypts values sealed with an older key after rotation, and seals new ones with the first key', () => {
    const old = new FieldCipher(k1).encrypt('010594Y202E', 'c');
    const rotated = new FieldCipher(`${k2},${k1}`);
    expect(rotated.activeKeyId).toBe('k2');
    expect(rotated.decrypt(old, 'c')).toBe('010594Y202E');
    expect(rotated.needsRotation(old)).toBe(true);
    const fresh = rotated.encrypt('010594Y202E', 'c');
    expect(fresh.keyId).toBe('k2');
    expect(rotated.needsRotation(fresh)).toBe(false);
  });

  it('refuses a value whose key is no longer configured', () => {
    const old = new FieldCipher(k1).encrypt('x', 'c');
    expect(() => new FieldCipher(k2).decrypt(old, 'c')).toThrow(/k1 is not configured/);
  });

  it.each<[string, (f: EncryptedField) => EncryptedField]>([
    ['ciphertext', (f) => ({ ...f, data: flip(f.data) })],
    ['tag', (f) => ({ ...f, tag: flip(f.tag) })],
    ['nonce', (f) => ({ ...f, iv: flip(f.iv) })],
  ])('detects a tampered %s', (_, tamper) => {
    const cipher = new FieldCipher(k1);
    const sealed = cipher.encrypt('131052-308T', 'c');
    expect(() => cipher.decrypt(tamper(sealed), 'c')).toThrow(FieldCipherError);
  });

  it('does not decrypt a value moved to another record (associated data differs)', () => {
    const cipher = new FieldCipher(k1);
    const sealed = cipher.encrypt('131052-308T', 'customer-1');
    expect(() => cipher.decrypt(sealed, 'customer-2')).toThrow(FieldCipherError);
  });

  it('never puts the plaintext in an error message', () => {
    const cipher = new FieldCipher(k1);
    const sealed = cipher.encrypt('131052-308T', 'c');
    try {
      cipher.decrypt({ ...sealed, data: flip(sealed.data) }, 'c');
      throw new Error('should have failed');
    } catch (error) {
      expect(String(error)).not.toContain('131052');
    }
  });

  it.each(['', 'nokey', 'k1:' + randomBytes(16).toString('base64'), `bad id:${randomBytes(32).toString('base64')}`])(
    'rejects the key spec %p',
    (spec) => {
      expect(() => new FieldCipher(spec)).toThrow(FieldCipherError);
      expect(FieldCipher.isValidSpec(spec)).toBe(false);
    },
  );

  it('rejects a key id listed twice', () => {
    expect(() => new FieldCipher(`${k1},${newKey('k1')}`)).toThrow(/twice/);
  });
});

/** Changes the first byte of a base64 value. */
function flip(base64: string): string {
  const bytes = Buffer.from(base64, 'base64');
  bytes[0] ^= 0x01;
  return bytes.toString('base64');
}
