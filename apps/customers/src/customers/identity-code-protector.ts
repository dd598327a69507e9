import { Injectable } from '@nestjs/common';
import { normaliseIdentityCode } from '@kielto/contracts';
import { EncryptedField, FieldCipher, IdentifierHasher } from '@kielto/platform';
import { CustomersEnv } from '../customers.env';

export interface SealedIdentityCode {
  identityCode: EncryptedField;
  identityCodeHash: string;
  identityCodeMask: string;
}

/**
 * The only code that sees personal identity codes in clear: seals them (AES-256-GCM, bound to the customer id),
 * computes the keyed lookup hash, and opens them for the data subject's own export. Never logs a code.
 */
@Injectable()
export class IdentityCodeProtector {
  private readonly cipher: FieldCipher;
  private readonly hasher: IdentifierHasher;

  constructor(env: CustomersEnv) {
    this.cipher = new FieldCipher(env.KIELTO_PII_KEYS);
    this.hasher = new IdentifierHasher(env.KIELTO_PII_HASH_KEY);
  }

  /** The keyed hash of a (valid) code: how a code is matched without decrypting anything. */
  hash(code: string): string {
    return this.hasher.hash(normaliseIdentityCode(code));
  }

  seal(code: string, customerId: string): SealedIdentityCode {
    const normalised = normaliseIdentityCode(code);
    return {
      identityCode: this.cipher.encrypt(normalised, customerId),
      identityCodeHash: this.hasher.hash(normalised),
      // Only the check character shows, enough for staff to confirm a code read out on the phone.
      identityCodeMask: '*'.repeat(normalised.length - 1) + normalised.slice(-1),
    };
  }

  open(sealed: EncryptedField, customerId: string): string {
    return this.cipher.decrypt(sealed, customerId);
  }

  /** The value sealed again with the active key when it was sealed with an older one (key rotation), else as is. */
  rotate(sealed: EncryptedField, customerId: string): EncryptedField {
    if (!this.cipher.needsRotation(sealed)) return sealed;
    return this.cipher.encrypt(this.cipher.decrypt(sealed, customerId), customerId);
  }
}
