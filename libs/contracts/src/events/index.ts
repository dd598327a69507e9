export * from './customer.events';
export * from './consent.events';
export * from './directory-ban.events';
export * from './suppression.events';

import { CONSENT_EVENT_TYPES, ConsentLedgerErasedV1, ConsentRecordedV1 } from './consent.events';
import { CUSTOMER_EVENT_TYPES, CustomerErasedV1, CustomerStateV1 } from './customer.events';
import { DIRECTORY_BAN_EVENT_TYPES, DirectoryBanLiftedV1, DirectoryBanSetV1 } from './directory-ban.events';
import { SUPPRESSION_EVENT_PAYLOAD_CLASSES } from './suppression.events';

/** Payload class of every event type consumers accept; anything else is dead-lettered. */
export const EVENT_PAYLOAD_CLASSES: Readonly<Record<string, new () => object>> = {
  [CUSTOMER_EVENT_TYPES.created]: CustomerStateV1,
  [CUSTOMER_EVENT_TYPES.updated]: CustomerStateV1,
  [CUSTOMER_EVENT_TYPES.restricted]: CustomerStateV1,
  [CUSTOMER_EVENT_TYPES.restrictionLifted]: CustomerStateV1,
  [CUSTOMER_EVENT_TYPES.erased]: CustomerErasedV1,
  [CONSENT_EVENT_TYPES.recorded]: ConsentRecordedV1,
  [CONSENT_EVENT_TYPES.erased]: ConsentLedgerErasedV1,
  [DIRECTORY_BAN_EVENT_TYPES.set]: DirectoryBanSetV1,
  [DIRECTORY_BAN_EVENT_TYPES.lifted]: DirectoryBanLiftedV1,
  // Internal to the suppression service (staff entries on kielto.suppression-entries.v1).
  ...SUPPRESSION_EVENT_PAYLOAD_CLASSES,
};
