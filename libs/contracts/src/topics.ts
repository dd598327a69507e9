/**
 * Kafka topic names (docs/CONTRACT.md §4).
 *
 * WARNING: these names are a public contract with partners and between services. Renaming one needs a
 * migration plan (dual-publish, move consumers, then retire), never a plain edit.
 */
export const TOPICS = {
  customers: 'kielto.customers.v1',
  consents: 'kielto.consents.v1',
  directoryBans: 'kielto.directory-bans.v1',
  /** Partner feed: compacted, key = HMAC of the normalised identifier, tombstone when nothing is suppressed. */
  suppression: 'kielto.suppression.v1',
  dlq: 'kielto.dlq.v1',
} as const;
export type TopicName = (typeof TOPICS)[keyof typeof TOPICS];
