import type { EventLog } from '@kielto/platform';
import type { CustomerRecord } from './customer-record';
import type { CustomerLookups } from './customer-lookups';
import { CustomerStore } from './customer-store';
import type { CustomersRepository, Revision } from './customers.repository';

const record = (name: string) => ({ id: 'c1', name }) as unknown as CustomerRecord;

/** The store over fakes of its ports: the log's newest version, the revisions and the read model. */
function storeWith(state: {
  version: number;
  revisions: Record<number, Revision>;
  projection?: { version: number; record: CustomerRecord };
}) {
  const revisionReads: number[] = [];
  const eventLog = { newestSequence: () => Promise.resolve(state.version) } as unknown as EventLog;
  const repository = {
    findProjection: () => Promise.resolve(state.projection),
    findRevision: (_id: string, version: number) => {
      revisionReads.push(version);
      return Promise.resolve(state.revisions[version]);
    },
  } as unknown as CustomersRepository;
  return { store: new CustomerStore(eventLog, repository, {} as CustomerLookups), revisionReads };
}

describe('CustomerStore.load', () => {
  const revision = (version: number, name: string): Revision => ({
    customerId: 'c1',
    version,
    type: 'customer.updated',
    record: record(name),
  });

  it('answers the read model when it holds the committed version, without reading the revision', async () => {
    const { store, revisionReads } = storeWith({
      version: 2,
      revisions: { 2: revision(2, 'Uusi') },
      projection: { version: 2, record: record('Uusi') },
    });
    expect(await store.load('c1')).toEqual({ erased: false, version: 2, record: record('Uusi') });
    expect(revisionReads).toEqual([]);
  });

  it('answers the committed revision when the read model is behind or ahead of the log', async () => {
    for (const projected of [1, 3]) {
      const { store, revisionReads } = storeWith({
        version: 2,
        revisions: { 2: revision(2, 'Uusi') },
        projection: { version: projected, record: record(`version ${projected}`) },
      });
      expect(await store.load('c1')).toEqual({ erased: false, version: 2, record: record('Uusi') });
      expect(revisionReads).toEqual([2]);
    }
  });

  it('answers an erasure from its revision (an erased customer has no read model) and nothing for an unknown id', async () => {
    const erased = storeWith({
      version: 3,
      revisions: { 3: { customerId: 'c1', version: 3, type: 'customer.erased', erasedAt: '2026-12-01T00:00:00Z' } },
      projection: { version: 2, record: record('Vanha') },
    });
    expect(await erased.store.load('c1')).toEqual({ erased: true, version: 3, erasedAt: '2026-12-01T00:00:00Z' });
    const unknown = storeWith({ version: 0, revisions: {}, projection: undefined });
    expect(await unknown.store.load('c1')).toBeUndefined();
  });
});
