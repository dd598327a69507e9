import type { RegisterName } from '../enums';

/*
 * The plain part of the event contract: type names, Kafka keys and the register hash codec, without the decorated
 * payload classes (which load class-validator). Plain code — suppression's engine — imports these through
 * `@kielto/contracts/event-names`; the payload classes re-export them, so the barrel and `/events` still have them.
 */

export const CUSTOMER_EVENT_TYPES = {
  created: 'fi.kielto.customer.created.v1',
  updated: 'fi.kielto.customer.updated.v1',
  restricted: 'fi.kielto.customer.restricted.v1',
  restrictionLifted: 'fi.kielto.customer.restriction-lifted.v1',
  erased: 'fi.kielto.customer.erased.v1',
} as const;
export type CustomerEventType = (typeof CUSTOMER_EVENT_TYPES)[keyof typeof CUSTOMER_EVENT_TYPES];

export const CONSENT_EVENT_TYPES = {
  recorded: 'fi.kielto.consent.recorded.v1',
  erased: 'fi.kielto.consent.ledger-erased.v1',
} as const;

export const DIRECTORY_BAN_EVENT_TYPES = {
  set: 'fi.kielto.directory-ban.set.v1',
  lifted: 'fi.kielto.directory-ban.lifted.v1',
} as const;

export const SUPPRESSION_ENTRY_EVENT_TYPES = {
  added: 'fi.kielto.suppression-entry.added.v1',
  imported: 'fi.kielto.suppression-entry.imported.v1',
  removed: 'fi.kielto.suppression-entry.removed.v1',
  /** A part of a register snapshot's difference to the register held before (aggregate `register:<name>`). */
  registerChanged: 'fi.kielto.register.changed.v1',
} as const;

/** The Kafka key and aggregate id of a ledger: `customer:<id>`, `email:<keyed hash>`, `phone:<keyed hash>`. */
export function subjectKey(subject: { type: string; key: string }): string {
  return `${subject.type}:${subject.key}`;
}

/** The aggregate id of a register's changes: one aggregate, so every instance applies them in the same order. */
export const registerAggregate = (register: RegisterName) => `register:${register}`;

/** Keyed hashes (32 bytes each, concatenated) as a register change carries them: 44 base64 characters each. */
export function encodeRegisterHashes(hashes: Buffer): string {
  let text = '';
  for (let at = 0; at + 32 <= hashes.length; at += 32) text += hashes.toString('base64', at, at + 32);
  return text;
}

/** The inverse of `encodeRegisterHashes`: the hashes' 32 bytes each, concatenated. */
export function decodeRegisterHashes(text: string): Buffer {
  const count = Math.floor(text.length / 44);
  const bytes = Buffer.alloc(count * 32);
  for (let i = 0; i < count; i++) bytes.write(text.slice(i * 44, i * 44 + 44), i * 32, 32, 'base64');
  return bytes;
}
