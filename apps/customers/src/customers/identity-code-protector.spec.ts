import { randomBytes } from 'node:crypto';
import { validateEnv } from '@kielto/platform';
import { CustomersEnv } from '../customers.env';
import { IdentityCodeProtector } from './identity-code-protector';

const key = (id: string) => `${id}:${randomBytes(32).toString('base64')}`;
const protector = (keys: string, hashKey = 'pii-hash-key-for-tests-0123456789') =>
  new IdentityCodeProtector(validateEnv(CustomersEnv, { KIELTO_PII_KEYS: keys, KIELTO_PII_HASH_KEY: hashKey }));

describe(IdentityCodeProtector.name, () => {
  const old = key('2024');
  const current = key('2025');

  it('seals a code for one customer, matches it by keyed hash in any case, and masks all but the check character', () => {
    const p = protector(current);
    const sealed = p.seal(' 131052-308t ', 'customer-1');
    expect(sealed.identityCodeMask).toBe('**********T');
    expect(sealed.identityCodeHash).toBe(p.hash('131052-308T'));
    expect(sealed.identityCodeHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(sealed)).not.toMatch(/131052/);
    expect(p.open(sealed.identityCode, 'customer-1')).toBe('131052-308T');
    expect(() => p.open(sealed.identityCode, 'customer-2')).toThrow();
  });

  it('hashes with its own key, so the hash means nothing without KIELTO_PII_HASH_KEY', () => {
    expect(protector(current, 'another-pii-hash-key-0123456789').hash('131052-308T')).not.toBe(
      protector(current).hash('131052-308T'),
    );
  });

  it('re-seals a code sealed with a retired key under the active one, and leaves current ones alone', () => {
    const before = protector(old).seal('010594Y202E', 'c').identityCode;
    const rotated = protector(`${current},${old}`);
    const after = rotated.rotate(before, 'c');
    expect(after.keyId).toBe('2025');
    expect(protector(current).open(after, 'c')).toBe('010594Y202E');
    expect(rotated.rotate(after, 'c')).toBe(after);
  });
});
