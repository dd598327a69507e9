import { createHash } from 'node:crypto';
import { ApiKeyRegistry, keyIdOf } from './api-keys';

describe(ApiKeyRegistry.name, () => {
  const hashed = createHash('sha256').update('marketing-secret-key').digest('hex');
  const registry = new ApiKeyRegistry(`staff:staff-secret-key, marketing:sha256:${hashed}`);

  it('accepts plain and sha256-hashed keys and gives each a stable non-secret id', () => {
    const staff = registry.authenticate('staff-secret-key');
    const marketing = registry.authenticate('marketing-secret-key');
    expect(staff).toEqual({ role: 'staff', keyId: expect.stringMatching(/^staff-[0-9a-f]{8}$/) });
    expect(marketing).toEqual({ role: 'marketing', keyId: expect.stringMatching(/^marketing-[0-9a-f]{8}$/) });
    // The id is not a piece of the key's SHA-256 (which a sha256: config entry holds).
    expect(hashed).not.toContain(marketing!.keyId.slice('marketing-'.length));
    expect(new ApiKeyRegistry('marketing:marketing-secret-key').authenticate('marketing-secret-key')).toEqual(
      marketing,
    );
    expect(staff!.keyId).not.toContain('secret');
  });

  it('rejects unknown keys', () => {
    expect(registry.authenticate('staff-secret-key ')).toBeUndefined();
    expect(registry.authenticate('')).toBeUndefined();
  });

  it('refuses malformed configuration with a message that names the entry, not the key', () => {
    expect(() => new ApiKeyRegistry('root:abcdefghij')).toThrow(/entry 1 must start with one of/);
    expect(() => new ApiKeyRegistry('staff:abcdefghij,staff:short')).toThrow(/entry 2 \(staff\) is shorter/);
  });

  it('derives ids that expose 32 bits of a separate hash, stable for the same key', () => {
    const digest = createHash('sha256').update('k').digest();
    expect(keyIdOf('staff', digest)).toBe(keyIdOf('staff', digest));
    expect(keyIdOf('staff', digest)).toMatch(/^staff-[0-9a-f]{8}$/);
    expect(digest.toString('hex')).not.toContain(keyIdOf('staff', digest).slice(6));
  });
});
