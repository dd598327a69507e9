import { createHash, timingSafeEqual } from 'node:crypto';
import { Role, ROLES } from '@kielto/contracts';

export interface Actor {
  /**
   * Stable, non-secret id of the caller, recorded as the actor of every write: an API key's id (`staff-1a2b3c4d`),
   * or `oidc:<sub>` for a person signed in with the organisation's OpenID Connect provider.
   */
  keyId: string;
  /** The role the caller is rate-limited and recorded under (a person's highest, see OidcTokenVerifier). */
  role: Role;
  /** Every role a signed-in person holds (absent for an API key: its one role). */
  roles?: readonly Role[];
  /** A signed-in person's display name (`name` claim), recorded beside the subject when present. */
  name?: string;
}

interface KeyEntry extends Actor {
  digest: Buffer;
}

const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/**
 * The non-secret id of a key, from the SHA-256 digest of the key. It used to be the first 48 bits of that digest,
 * which is also what a `sha256:` config entry holds: the id disclosed a quarter of the config value, and checked a
 * guessed key against 48 bits. Now it is 32 bits of a hash separated from the config's (domain `kielto key id`),
 * enough to tell a deployment's keys apart, too few to confirm a guess among more than a few billion candidates.
 */
export function keyIdOf(role: Role, digest: Buffer): string {
  const id = createHash('sha256').update('kielto key id\0').update(digest).digest('hex');
  return `${role}-${id.slice(0, 8)}`;
}

/**
 * The API keys of KIELTO_API_KEYS: `role:key` or `role:sha256:<hex of the key's SHA-256>`, so that a
 * config need not hold secrets in clear. Keys are compared by digest in constant time.
 */
export class ApiKeyRegistry {
  private readonly entries: KeyEntry[];

  constructor(spec: string) {
    this.entries = spec
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map((item, index) => ApiKeyRegistry.parse(item, index));
  }

  private static parse(item: string, index: number): KeyEntry {
    const colon = item.indexOf(':');
    const role = item.slice(0, colon) as Role;
    if (colon <= 0 || !ROLES.includes(role)) {
      throw new Error(`KIELTO_API_KEYS entry ${index + 1} must start with one of ${ROLES.join('|')}:`);
    }
    const rest = item.slice(colon + 1);
    const hashed = /^sha256:([0-9a-fA-F]{64})$/.exec(rest);
    if (!hashed && rest.length < 8) {
      throw new Error(`KIELTO_API_KEYS entry ${index + 1} (${role}) is shorter than 8 characters`);
    }
    const digest = hashed ? Buffer.from(hashed[1], 'hex') : sha256(rest);
    return { role, digest, keyId: keyIdOf(role, digest) };
  }

  get size(): number {
    return this.entries.length;
  }

  /** True when a key of the registry is the given plain key (used by the production guardrails). */
  contains(plainKey: string): boolean {
    return this.authenticate(plainKey) !== undefined;
  }

  authenticate(presentedKey: string): Actor | undefined {
    const digest = sha256(presentedKey);
    let found: KeyEntry | undefined;
    // Walk every entry so the time taken does not reveal which key matched.
    for (const entry of this.entries) {
      if (timingSafeEqual(entry.digest, digest) && !found) found = entry;
    }
    return found && { keyId: found.keyId, role: found.role };
  }
}
