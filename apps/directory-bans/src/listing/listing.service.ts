import { Injectable, Logger } from '@nestjs/common';
import { CUSTOMER_EVENT_TYPES, CustomerStateV1, isEventOfTypes, KieltoEvent } from '@kielto/contracts';
import { ListingRepository } from './listing.repository';
import { ListingChange } from './listing.types';

/**
 * Whether a customer may appear in the directory at all, before bans: only subscribers, i.e. customers whose
 * relationship is active (R9: only customers with an active subscription are listed; a former customer is not),
 * never while processing is restricted (R7: restricted data may only be stored), and never with a DVV safety ban
 * (turvakielto, docs/CONTRACT.md §3.9).
 */
export function isListable(
  state: Pick<CustomerStateV1, 'activeContract' | 'restrictedSince' | 'populationRegisterBans'>,
): boolean {
  return (
    state.activeContract &&
    state.restrictedSince === undefined &&
    !(state.populationRegisterBans?.includes('safety') ?? false)
  );
}

/** Turns customer events into listing changes. Every customer event carries the customer's full state. */
export function listingChangeOf(event: KieltoEvent): ListingChange | undefined {
  if (!isEventOfTypes(event, CUSTOMER_EVENT_TYPES)) return undefined;
  switch (event.type) {
    case CUSTOMER_EVENT_TYPES.created:
    case CUSTOMER_EVENT_TYPES.updated:
    case CUSTOMER_EVENT_TYPES.restricted:
    case CUSTOMER_EVENT_TYPES.restrictionLifted: {
      const d = event.data;
      const { name, phone, address } = d.listing;
      return {
        customerId: d.customerId,
        sequence: event.sequence,
        erased: false,
        publishable: isListable(d),
        listing: {
          customerNumber: d.customerNumber,
          name,
          ...(phone !== undefined ? { phone } : {}),
          ...(address !== undefined
            ? {
                address: {
                  street: address.street,
                  postalCode: address.postalCode,
                  city: address.city,
                  country: address.country,
                },
              }
            : {}),
        },
      };
    }
    case CUSTOMER_EVENT_TYPES.erased:
      return { customerId: event.data.customerId, sequence: event.sequence, erased: true };
  }
}

/** The listing projection: the newest state of each customer, as directory outlets may see it. */
@Injectable()
export class ListingService {
  private readonly logger = new Logger(ListingService.name);

  constructor(private readonly repository: ListingRepository) {}

  /** Applies a batch from one partition; only each customer's newest event of the batch is written. */
  async project(events: readonly KieltoEvent[]): Promise<void> {
    const newest = new Map<string, ListingChange>();
    for (const event of events) {
      const change = listingChangeOf(event);
      if (!change) {
        // parseEvent lets only known types through; a known type on this topic without a case here is a bug.
        this.logger.error({ type: event.type, id: event.id }, 'customer event type without a listing projection');
        continue;
      }
      const held = newest.get(change.customerId);
      if (!held || held.sequence < change.sequence) newest.set(change.customerId, change);
    }
    await this.repository.apply([...newest.values()]);
  }
}
