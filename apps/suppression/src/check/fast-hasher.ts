import { hash } from 'node:crypto';

const BLOCK = 64;

/**
 * HMAC-SHA256 hex of a normalised identifier — the same value as the platform's IdentifierHasher (checked by
 * its spec) — computed with two one-shot `crypto.hash` calls over preallocated buffers instead of a new Hmac
 * object per call. Creating Hash/Hmac objects is cheap in a tight loop but costs ~10x more inside HTTP
 * request handling (they are streams, and every stream joins the request's async context); the checks hash
 * every e-mail address and phone number they are given, so this is most of a check's cost.
 *
 * Not thread-safe by design: JavaScript runs the calls one at a time.
 */
export class FastIdentifierHasher {
  /** (key XOR ipad) followed by room for the message */
  private inner: Buffer;
  /** (key XOR opad) followed by the inner digest */
  private readonly outer = Buffer.alloc(BLOCK + 32);
  private readonly pad: Buffer;

  constructor(key: string) {
    let k = Buffer.from(key, 'utf8');
    if (k.length > BLOCK) k = hash('sha256', k, 'buffer');
    this.pad = Buffer.alloc(BLOCK);
    k.copy(this.pad);
    this.inner = this.withInnerPad(Buffer.alloc(BLOCK + 1024));
    for (let i = 0; i < BLOCK; i++) this.outer[i] = this.pad[i] ^ 0x5c;
  }

  private withInnerPad(buffer: Buffer): Buffer {
    for (let i = 0; i < BLOCK; i++) buffer[i] = this.pad[i] ^ 0x36;
    return buffer;
  }

  /** The argument must already be normalised (see normaliseEmail / normalisePhone). */
  hash(normalisedIdentifier: string): string {
    // UTF-8 needs at most 3 bytes per UTF-16 code unit: make sure the message can never be truncated.
    if (BLOCK + normalisedIdentifier.length * 3 > this.inner.length) {
      this.inner = this.withInnerPad(Buffer.alloc(BLOCK + normalisedIdentifier.length * 3));
    }
    const length = this.inner.write(normalisedIdentifier, BLOCK, 'utf8');
    const innerDigest = hash('sha256', this.inner.subarray(0, BLOCK + length), 'buffer');
    innerDigest.copy(this.outer, BLOCK);
    return hash('sha256', this.outer, 'hex');
  }
}
