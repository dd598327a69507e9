import { createHmac } from 'node:crypto';

/**
 * Keyed hash of a normalised identifier (HMAC-SHA256 hex with KIELTO_PARTNER_HASH_KEY). It is how kielto
 * matches e-mail addresses and phone numbers across services without sending them in clear, what erased
 * identifiers are remembered by (R8), and the key of the partner feed.
 */
export class IdentifierHasher {
  private readonly key: Buffer;

  constructor(key: string) {
    this.key = Buffer.from(key, 'utf8');
  }

  /** The argument must already be normalised (see normaliseEmail / normalisePhone). */
  hash(normalisedIdentifier: string): string {
    return createHmac('sha256', this.key).update(normalisedIdentifier, 'utf8').digest('hex');
  }
}
