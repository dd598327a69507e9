import { cloudEvent } from '../cloud-event';
import {
  CONSENT_EVENT_TYPES,
  CUSTOMER_EVENT_TYPES,
  DIRECTORY_BAN_EVENT_TYPES,
  SUPPRESSION_ENTRY_EVENT_TYPES,
} from '../events';
import { SUPPRESSION_FEED_TYPE, SuppressionFeedValueV1 } from '../feed';

/*
 * One example message per event type, shown in the AsyncAPI document. They are checked against the contract
 * classes by the AsyncAPI test (the same validation consumers apply), so an example cannot drift from the contract.
 * The hashes are HMAC-SHA256 with the development key of illustrative identifiers.
 */

const CUSTOMER_ID = '6f0b9c2e-5d1a-4c3b-9e8f-7a6b5c4d3e2f';
const EMAIL_HASH = '3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b';
const PHONE_HASH = 'b5bb9d8014a0f9b1d61e21e796d78dccdf1352f23cd32812f4850b878ae4944c';
const AT = '2026-03-02T09:15:27.412Z';
/** When the customer was created (and began to hold the identifiers it still holds). */
const SINCE = '2024-05-01T08:00:00.000Z';
/** The contact person's id (R3: a subject of their own) and the hashes of her addresses, now and before. */
const PERSON_ID = '2c9e4b71-8a3d-4f5e-b6c7-d8e9f0a1b2c3';
const PERSON_EMAIL_HASH = '872b30a9c3e39cdccbeabcf499155b126e545c33fc9b85391b92e73596adbb45';
const PERSON_FORMER_EMAIL_HASH = 'ffbca39444a7f5dc89f3a0041fe0337586901b9ae6481d8a6c985e3cad3c6049';

const envelope = (service: string, type: string, subject: string, sequence: number, data: object) =>
  cloudEvent({
    service,
    type,
    subject,
    sequence,
    data,
    id: `0f8e7d6c-5b4a-4392-8170-${String(sequence).padStart(12, '0')}`,
    time: AT,
  });

/**
 * An organisation with one contact person (contract v1.1): every contact point says since when it is held and, for
 * a contact person's, whose it is; products are what the customer holds now (R10).
 */
const customerState = {
  customerId: CUSTOMER_ID,
  customerNumber: '100042',
  kind: 'organization',
  language: 'fi',
  activeContract: true,
  products: ['mobile-subscription', 'fixed-broadband'],
  contactPoints: [
    { kind: 'email', hash: EMAIL_HASH, owner: 'own', from: SINCE },
    { kind: 'phone', hash: PHONE_HASH, owner: 'own', from: SINCE },
    { kind: 'email', hash: PERSON_EMAIL_HASH, owner: 'contact-person', person: PERSON_ID, from: SINCE },
  ],
  formerContactPoints: [],
  listing: {
    name: 'Esimerkki Oy',
    phone: '+358401234567',
    address: { street: 'Esimerkkikatu 1', postalCode: '00100', city: 'Helsinki', country: 'FI' },
  },
  since: SINCE,
};

/**
 * After a rectification that ended the contract (`relationshipEndedAt`, R2) and replaced the contact person's
 * e-mail: the new address is held from the change, the old one is kept as a keyed hash with its holding period.
 */
const endedState = {
  ...customerState,
  activeContract: false,
  relationshipEndedAt: AT,
  contactPoints: [
    customerState.contactPoints[0],
    customerState.contactPoints[1],
    { kind: 'email', hash: PERSON_EMAIL_HASH, owner: 'contact-person', person: PERSON_ID, from: AT },
  ],
  formerContactPoints: [
    {
      kind: 'email',
      hash: PERSON_FORMER_EMAIL_HASH,
      owner: 'contact-person',
      person: PERSON_ID,
      from: SINCE,
      until: AT,
    },
  ],
};

export const EVENT_EXAMPLES: Readonly<Record<string, object>> = {
  [CUSTOMER_EVENT_TYPES.created]: envelope('customers', CUSTOMER_EVENT_TYPES.created, CUSTOMER_ID, 1, customerState),
  [CUSTOMER_EVENT_TYPES.updated]: envelope('customers', CUSTOMER_EVENT_TYPES.updated, CUSTOMER_ID, 2, endedState),
  [CUSTOMER_EVENT_TYPES.restricted]: envelope('customers', CUSTOMER_EVENT_TYPES.restricted, CUSTOMER_ID, 3, {
    ...endedState,
    restrictedSince: AT,
  }),
  [CUSTOMER_EVENT_TYPES.restrictionLifted]: envelope(
    'customers',
    CUSTOMER_EVENT_TYPES.restrictionLifted,
    CUSTOMER_ID,
    4,
    endedState,
  ),
  // Erasure keeps only keyed hashes: of the identifiers held at the end and of those held before (R8).
  [CUSTOMER_EVENT_TYPES.erased]: envelope('customers', CUSTOMER_EVENT_TYPES.erased, CUSTOMER_ID, 5, {
    customerId: CUSTOMER_ID,
    contactPoints: endedState.contactPoints,
    formerContactPoints: endedState.formerContactPoints,
    erasedAt: AT,
  }),
  [CONSENT_EVENT_TYPES.recorded]: envelope('consents', CONSENT_EVENT_TYPES.recorded, `customer:${CUSTOMER_ID}`, 1, {
    entryId: '9d7c1f4a-2b3e-4a5d-8c6f-1e2d3c4b5a69',
    subject: { type: 'customer', key: CUSTOMER_ID },
    channel: 'all',
    purpose: 'all',
    decision: 'prohibit',
    recordedAt: AT,
    sequence: 1,
    evidence: {
      capturedBy: 'staff-1a2b3c4d5e6f',
      requestId: '4b1d0c2e-8f3a-4e5b-9c6d-7a8b9c0d1e2f',
    },
  }),
  [CONSENT_EVENT_TYPES.erased]: envelope('consents', CONSENT_EVENT_TYPES.erased, `customer:${CUSTOMER_ID}`, 7, {
    subject: { type: 'customer', key: CUSTOMER_ID },
    erasedAt: AT,
  }),
  [DIRECTORY_BAN_EVENT_TYPES.set]: envelope('directory-bans', DIRECTORY_BAN_EVENT_TYPES.set, CUSTOMER_ID, 1, {
    customerId: CUSTOMER_ID,
    scope: 'partial',
    hiddenFields: ['address'],
    outlets: ['online', 'reverse-search'],
    since: AT,
    reason: 'customer request by phone',
    setBy: 'staff-1a2b3c4d5e6f',
  }),
  [DIRECTORY_BAN_EVENT_TYPES.lifted]: envelope('directory-bans', DIRECTORY_BAN_EVENT_TYPES.lifted, CUSTOMER_ID, 2, {
    customerId: CUSTOMER_ID,
    liftedAt: AT,
    liftedBy: 'staff-1a2b3c4d5e6f',
  }),
  [SUPPRESSION_ENTRY_EVENT_TYPES.added]: envelope(
    'suppression',
    SUPPRESSION_ENTRY_EVENT_TYPES.added,
    '5c2f8a1e-3d4b-4e6f-9a8b-7c6d5e4f3a21',
    1,
    {
      entryId: '5c2f8a1e-3d4b-4e6f-9a8b-7c6d5e4f3a21',
      kind: 'email',
      hash: EMAIL_HASH,
      reason: 'bounce',
      channel: 'email',
      since: AT,
      createdBy: 'staff-1a2b3c4d5e6f',
    },
  ),
  [SUPPRESSION_ENTRY_EVENT_TYPES.imported]: envelope(
    'suppression',
    SUPPRESSION_ENTRY_EVENT_TYPES.imported,
    'e1d2c3b4-a596-4877-8695-a4b3c2d1e0f9',
    1,
    {
      importId: 'e1d2c3b4-a596-4877-8695-a4b3c2d1e0f9',
      entries: [
        {
          entryId: '7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d',
          kind: 'phone',
          hash: PHONE_HASH,
          reason: 'robinson',
          channel: 'phone',
          since: AT,
          createdBy: 'staff-1a2b3c4d5e6f',
        },
      ],
    },
  ),
  [SUPPRESSION_ENTRY_EVENT_TYPES.removed]: envelope(
    'suppression',
    SUPPRESSION_ENTRY_EVENT_TYPES.removed,
    '5c2f8a1e-3d4b-4e6f-9a8b-7c6d5e4f3a21',
    2,
    { entryId: '5c2f8a1e-3d4b-4e6f-9a8b-7c6d5e4f3a21', removedAt: AT, removedBy: 'staff-1a2b3c4d5e6f' },
  ),
  [SUPPRESSION_ENTRY_EVENT_TYPES.registerChanged]: envelope(
    'suppression',
    SUPPRESSION_ENTRY_EVENT_TYPES.registerChanged,
    'register:asml-phone',
    7,
    {
      register: 'asml-phone',
      registerDate: '2026-12-01',
      inputSha256: 'c3ab8ff13720e8ad9047dd39466b3c8974e592c2fa383d4a3960714caef0c4f2',
      part: 1,
      last: true,
      added: Buffer.from(PHONE_HASH, 'hex').toString('base64'),
      removed: Buffer.from(EMAIL_HASH, 'hex').toString('base64'),
      summary: { rows: 812_344, added: 1, removed: 1, unchanged: 812_343 },
      importedBy: 'staff-1a2b3c4d5e6f',
    },
  ),
};

export const FEED_EXAMPLE: SuppressionFeedValueV1 = {
  specversion: '1.0',
  type: SUPPRESSION_FEED_TYPE,
  kind: 'email',
  suppressions: [{ code: 'prohibited', channel: 'all', purpose: 'all', since: AT }],
  updatedAt: AT,
};
