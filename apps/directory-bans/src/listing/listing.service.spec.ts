import { CUSTOMER_EVENT_TYPES, CustomerErasedV1, CustomerStateV1, KieltoEvent } from '@kielto/contracts';
import { ListingRepository } from './listing.repository';
import { ListingService } from './listing.service';
import { ListingChange } from './listing.types';

const T0 = Date.UTC(2025, 0, 1);
const iso = (ms: number) => new Date(ms).toISOString();

function state(customerId: string, overrides: Partial<CustomerStateV1> = {}): CustomerStateV1 {
  return {
    customerId,
    customerNumber: `n-${customerId}`,
    kind: 'person',
    language: 'fi',
    activeContract: true,
    contactPoints: [],
    listing: { name: `Name ${customerId}`, phone: '+358401234567' },
    since: iso(T0),
    ...overrides,
  };
}

function event(type: string, sequence: number, data: CustomerStateV1 | CustomerErasedV1): KieltoEvent {
  return {
    specversion: '1.0',
    id: `${data.customerId}-${sequence}`,
    source: '/kielto/customers',
    type,
    subject: data.customerId,
    time: iso(T0 + sequence),
    datacontenttype: 'application/json',
    sequence,
    data,
  } as KieltoEvent;
}

/** Records what the service asks its repository to write. */
class RecordingRepository {
  written: ListingChange[][] = [];
  apply(changes: readonly ListingChange[]): Promise<void> {
    this.written.push([...changes]);
    return Promise.resolve();
  }
}

describe(ListingService.name, () => {
  let repository: RecordingRepository;
  let service: ListingService;

  beforeEach(() => {
    repository = new RecordingRepository();
    service = new ListingService(repository as unknown as ListingRepository);
  });

  it('writes only the newest event of each customer in a batch, in one write', async () => {
    await service.project([
      event(CUSTOMER_EVENT_TYPES.created, 1, state('a')),
      event(CUSTOMER_EVENT_TYPES.created, 1, state('b')),
      event(CUSTOMER_EVENT_TYPES.updated, 2, state('a', { listing: { name: 'Renamed' } })),
    ]);
    expect(repository.written).toHaveLength(1);
    expect(repository.written[0]).toEqual([
      {
        customerId: 'a',
        sequence: 2,
        erased: false,
        publishable: true,
        listing: { customerNumber: 'n-a', name: 'Renamed' },
      },
      {
        customerId: 'b',
        sequence: 1,
        erased: false,
        publishable: true,
        listing: { customerNumber: 'n-b', name: 'Name b', phone: '+358401234567' },
      },
    ]);
  });

  it('keeps the newer event when a redelivered older one comes later in the batch', async () => {
    await service.project([
      event(CUSTOMER_EVENT_TYPES.updated, 3, state('a', { listing: { name: 'Newest' } })),
      event(CUSTOMER_EVENT_TYPES.created, 1, state('a')),
    ]);
    expect(repository.written[0]).toEqual([expect.objectContaining({ customerId: 'a', sequence: 3 })]);
  });

  it('lists only customers with an active contract: a prospect or former customer is not publishable (R9)', async () => {
    await service.project([
      event(CUSTOMER_EVENT_TYPES.created, 1, state('prospect', { activeContract: false })),
      event(CUSTOMER_EVENT_TYPES.updated, 2, state('former', { activeContract: false, relationshipEndedAt: iso(T0) })),
      event(CUSTOMER_EVENT_TYPES.updated, 2, state('active', { activeContract: true })),
    ]);
    expect(repository.written[0].map((c) => [c.customerId, !c.erased && c.publishable])).toEqual([
      ['prospect', false],
      ['former', false],
      ['active', true],
    ]);
  });

  it('marks restricted customers and turns erasure into a tombstone without personal data', async () => {
    await service.project([
      event(CUSTOMER_EVENT_TYPES.restricted, 2, state('r', { restrictedSince: iso(T0) })),
      event(CUSTOMER_EVENT_TYPES.erased, 4, { customerId: 'e', contactPoints: [], erasedAt: iso(T0) }),
    ]);
    expect(repository.written[0]).toEqual([
      expect.objectContaining({ customerId: 'r', sequence: 2, erased: false, publishable: false }),
      { customerId: 'e', sequence: 4, erased: true },
    ]);
  });
});
