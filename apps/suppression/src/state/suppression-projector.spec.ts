import { randomUUID } from 'node:crypto';
import {
  CloudEventV1,
  CONSENT_EVENT_TYPES,
  ConsentRecordedV1,
  CUSTOMER_EVENT_TYPES,
  CustomerStateV1,
  SUPPRESSION_ENTRY_EVENT_TYPES,
  SuppressionEntryAddedV1,
  SuppressionEntryRemovedV1,
} from '@kielto/contracts';
import type { PartnerFeedService } from '../feed/partner-feed.service';
import { SuppressionProjector } from './suppression-projector.service';
import type { StateWrites, SuppressionRepository } from './suppression.repository';
import { AffectedIdentifiers, SuppressionState } from './suppression-state';

const EMAIL = 'a'.repeat(64);
const PHONE = 'b'.repeat(64);
const T = '2025-03-01T10:00:00.000Z';

function event<T>(type: string, subject: string, sequence: number, data: T): CloudEventV1 {
  return {
    specversion: '1.0',
    id: randomUUID(),
    source: '/kielto/test',
    type,
    subject,
    time: T,
    datacontenttype: 'application/json',
    sequence,
    data,
  };
}

const customerCreated = (sequence = 1) =>
  event<CustomerStateV1>(CUSTOMER_EVENT_TYPES.created, 'cust-1', sequence, {
    customerId: 'cust-1',
    customerNumber: 'C-1',
    kind: 'person',
    language: 'fi',
    activeContract: true,
    contactPoints: [
      { kind: 'email', hash: EMAIL, owner: 'own' },
      { kind: 'phone', hash: PHONE, owner: 'own' },
    ],
    listing: { name: 'Testi' },
    since: T,
  });

const prohibitionOfEmail = () =>
  event<ConsentRecordedV1>(CONSENT_EVENT_TYPES.recorded, `email:${EMAIL}`, 1, {
    entryId: 'e1',
    subject: { type: 'email', key: EMAIL },
    channel: 'all',
    purpose: 'all',
    decision: 'prohibit',
    recordedAt: T,
    source: 'test',
    sequence: 1,
  });

/** The projector's own ports, faked: a repository that records (or refuses) writes, a feed that records. */
function setUp() {
  const state = new SuppressionState();
  const writes: StateWrites[] = [];
  let failWrites = false;
  const repository = {
    write: (w: StateWrites) => {
      if (failWrites) return Promise.reject(new Error('database down'));
      writes.push(w);
      return Promise.resolve();
    },
  } as unknown as SuppressionRepository;
  const published: AffectedIdentifiers[] = [];
  let failFeed = false;
  const feed = {
    publish: (a: AffectedIdentifiers) =>
      failFeed ? Promise.reject(new Error('broker down')) : Promise.resolve(void published.push(new Map(a))),
  } as unknown as PartnerFeedService;
  const projector = new SuppressionProjector(state, repository, feed);
  return {
    state,
    writes,
    published,
    projector,
    failDatabase: (fail: boolean) => (failWrites = fail),
    failFeed: (fail: boolean) => (failFeed = fail),
  };
}

describe(SuppressionProjector.name, () => {
  it('persists, applies, then publishes the feed for every identifier whose answers may have changed', async () => {
    const { state, writes, published, projector } = setUp();
    await projector.project([customerCreated()]);
    await projector.project([prohibitionOfEmail()]);
    expect(writes).toHaveLength(2);
    expect(state.factsForIdentifier('phone', PHONE).ledger).toHaveLength(1);
    // The entry was recorded against the e-mail address, but applies to the whole customer.
    expect(published[1]).toEqual(
      new Map([
        [EMAIL, 'email'],
        [PHONE, 'phone'],
      ]),
    );
  });

  it('changes nothing in memory when the database write fails, so the retried batch applies cleanly', async () => {
    const { state, projector, failDatabase } = setUp();
    failDatabase(true);
    await expect(projector.project([customerCreated()])).rejects.toThrow('database down');
    expect(state.customerCount).toBe(0);
    failDatabase(false);
    await projector.project([customerCreated()]);
    expect(state.customerCount).toBe(1);
  });

  it('writes nothing for events it already holds, but publishes their identifiers again', async () => {
    const { writes, published, projector } = setUp();
    const batch = [customerCreated(), prohibitionOfEmail()];
    await projector.project(batch);
    await projector.project(batch);
    expect(writes).toHaveLength(1);
    // A redelivered batch may be one whose feed was never written: its identifiers are published again.
    expect(published[1]).toEqual(published[0]);
  });

  it('publishes the feed on redelivery when the first attempt failed after the store was written', async () => {
    const { state, published, projector, failFeed } = setUp();
    failFeed(true);
    await expect(projector.project([customerCreated(), prohibitionOfEmail()])).rejects.toThrow('broker down');
    expect(state.factsForIdentifier('email', EMAIL).ledger).toHaveLength(1);
    failFeed(false);
    await projector.project([customerCreated(), prohibitionOfEmail()]);
    expect(published.at(-1)).toEqual(
      new Map([
        [EMAIL, 'email'],
        [PHONE, 'phone'],
      ]),
    );
  });

  it('applies staff entries once, and a removal for good', async () => {
    const { state, projector } = setUp();
    const added = event<SuppressionEntryAddedV1>(SUPPRESSION_ENTRY_EVENT_TYPES.added, 'entry-1', 1, {
      entryId: 'entry-1',
      kind: 'email',
      hash: EMAIL,
      reason: 'bounce',
      channel: 'email',
      since: T,
    });
    const removed = event<SuppressionEntryRemovedV1>(SUPPRESSION_ENTRY_EVENT_TYPES.removed, 'entry-1', 2, {
      entryId: 'entry-1',
      removedAt: T,
    });
    await projector.project([added, removed]);
    expect(state.staffEntriesOf(EMAIL)).toEqual([]);
    await projector.project([added]);
    expect(state.staffEntriesOf(EMAIL)).toEqual([]);
  });

  it('projects batches one at a time, in the order they were handed over', async () => {
    const { state, projector } = setUp();
    const first = projector.project([customerCreated(1)]);
    const second = projector.project([
      {
        ...customerCreated(2),
        type: CUSTOMER_EVENT_TYPES.updated,
        data: { ...(customerCreated().data as CustomerStateV1), contactPoints: [] },
      },
    ]);
    await Promise.all([first, second]);
    expect(state.customerSequence('cust-1')).toBe(2);
    expect(state.ownerOf(EMAIL)).toBeUndefined();
  });
});
