import { createHash } from 'node:crypto';

/** A UUID (version 5 layout) derived from a name: the same name always gives the same id. */
function nameBasedUuid(namespace: string, name: string): string {
  const bytes = createHash('sha256').update(namespace).update('\u0000').update(name).digest().subarray(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x50;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The kielto id of a customer imported from a legacy register, derived from its key there (`ref`). Deterministic,
 * so that importing the same register again finds the customers it made (resumable imports), and so that the
 * consents and bans files of the same register can name customers by `customerRef` without a lookup.
 */
export const importedCustomerId = (ref: string): string => nameBasedUuid('kielto:import:customer', ref.trim());

/**
 * The id of an imported entry (`kind`: a consent ledger entry, a suppression entry…), derived from what the entry is
 * (and, where it matters, the batch it came in): importing it again finds it.
 */
export const importedEntryId = (kind: string, canonicalEntry: string): string =>
  nameBasedUuid(`kielto:import:${kind}`, canonicalEntry);
