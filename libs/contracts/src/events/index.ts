export * from './names';
export * from './customer.events';
export * from './consent.events';
export * from './directory-ban.events';
export * from './suppression.events';

import { ConsentLedgerErasedV1, ConsentRecordedV1 } from './consent.events';
import { CustomerErasedV1, CustomerStateV1 } from './customer.events';
import { DirectoryBanLiftedV1, DirectoryBanSetV1 } from './directory-ban.events';
import { CONSENT_EVENT_TYPES, CUSTOMER_EVENT_TYPES, DIRECTORY_BAN_EVENT_TYPES } from './names';
import type { CloudEventV1 } from '../cloud-event';
import { SUPPRESSION_EVENT_PAYLOAD_CLASSES } from './suppression.events';

/** Payload class of every event type consumers accept; anything else is dead-lettered. */
export const EVENT_PAYLOAD_CLASSES = {
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
} as const;

/** Every event type consumers accept. */
export type EventType = keyof typeof EVENT_PAYLOAD_CLASSES;

/** The payload of an event type. */
export type EventPayload<K extends EventType> = InstanceType<(typeof EVENT_PAYLOAD_CLASSES)[K]>;

/**
 * An event that passed `parseEvent`: a union discriminated by `type`, so a handler's `switch (event.type)` or
 * `if (event.type === …)` narrows `event.data` to that type's payload without a cast.
 */
export type KieltoEvent = { [K in EventType]: CloudEventV1<EventPayload<K>> & { type: K } }[EventType];

/** The events of one family of types (e.g. `EventOfTypes<typeof CUSTOMER_EVENT_TYPES>`: a topic's events). */
export type EventOfTypes<T extends Readonly<Record<string, EventType>>> = Extract<KieltoEvent, { type: T[keyof T] }>;

/** Whether an event is of one family of types: a consumer of one topic narrows to it, then switches exhaustively. */
export function isEventOfTypes<T extends Readonly<Record<string, EventType>>>(
  event: KieltoEvent,
  types: T,
): event is EventOfTypes<T> {
  let family = FAMILIES.get(types);
  if (family === undefined) FAMILIES.set(types, (family = new Set(Object.values(types))));
  return family.has(event.type);
}

/** Each family's types as a set, built once per family object (consumers ask per event). */
const FAMILIES = new WeakMap<object, ReadonlySet<string>>();

/** The payload class of a type read off the wire (undefined: not a type consumers accept). */
export function payloadClassOf(type: string): (new () => object) | undefined {
  return Object.hasOwn(EVENT_PAYLOAD_CLASSES, type) ? EVENT_PAYLOAD_CLASSES[type as EventType] : undefined;
}

/**
 * An event of this service's own event log as a `KieltoEvent`: appended by its own typed code, so only its type is
 * checked (undefined: a type consumers do not accept, which a projection must not be given).
 */
export function ownEvent(event: CloudEventV1): KieltoEvent | undefined {
  return payloadClassOf(event.type) ? (event as KieltoEvent) : undefined;
}

/** Whether a stored or parsed event is of the given type (narrows it, like a `switch` on a `KieltoEvent`). */
export function isEventOfType<K extends EventType>(
  event: { type: string },
  type: K,
): event is CloudEventV1<EventPayload<K>> & { type: K } {
  return event.type === type;
}
