import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { IdentifierHasher, LookupSlots } from '@kielto/platform';
import type { CustomerRecord, FormerIdentifier } from './customer-record';
import { CustomersRepository } from './customers.repository';
import type { HashIdentifier } from './identifier-holdings';

/** What a customer can be found by: a normalised e-mail or phone, or the keyed hash of an identity code. */
export type LookupQuery =
  | { field: 'email'; value: string }
  | { field: 'phone'; value: string }
  | { field: 'identityCodeHash'; value: string };

/**
 * The lookup key of a query: identifiers appear only as keyed hashes (the events' hash for e-mail and phone, the
 * identity code's own keyed hash), so the lookup collection holds no clear personal data.
 */
export function lookupKeyOf(query: LookupQuery, hash: HashIdentifier): string {
  switch (query.field) {
    case 'email':
      return `email:${hash(query.value)}`;
    case 'phone':
      return `phone:${hash(query.value)}`;
    case 'identityCodeHash':
      return `identity-code:${query.value}`;
  }
}

/** Every lookup key the customer must be found by: its own e-mails and phones and its identity code. */
export function lookupKeysOf(
  record: Pick<CustomerRecord, 'emails' | 'phones' | 'identityCodeHash'>,
  hash: HashIdentifier,
): string[] {
  return [
    ...record.emails.map((value) => lookupKeyOf({ field: 'email', value }, hash)),
    ...record.phones.map((value) => lookupKeyOf({ field: 'phone', value }, hash)),
    ...(record.identityCodeHash
      ? [lookupKeyOf({ field: 'identityCodeHash', value: record.identityCodeHash }, hash)]
      : []),
  ];
}

/** Keys of the customer's own identifiers held before (kept as hashes), which an erasure releases too. */
export function formerLookupKeysOf(formerContactPoints: readonly FormerIdentifier[]): string[] {
  return formerContactPoints.filter((f) => f.owner === 'own').map((f) => `${f.kind}:${f.hash}`);
}

/**
 * Which customers hold an identifier, answered by `_id` reads on MongoDB and FerretDB alike (see LookupSlots).
 *
 * The slots are hints kept by this discipline, without transactions:
 * - a write ensures the slots of the state it proposes *before* committing, so a committed state never lacks one
 *   (a crash in between leaves a slot that names a customer not holding the identifier: readers confirm every
 *   candidate against the committed state and skip it);
 * - CustomerStore.sync ensures them again from the committed state after every commit and relay sweep;
 * - a slot is vacated only by a writer of that customer after committing a state without the identifier, and that
 *   writer then syncs: if a concurrent write has committed the identifier again meanwhile, either this sync sees
 *   it, or that write's own sync runs after the vacating and sees the slot gone. Either way a new slot is made.
 */
@Injectable()
export class CustomerLookups {
  private readonly slots: LookupSlots;
  private readonly hash: HashIdentifier;

  constructor(
    private readonly repository: CustomersRepository,
    hasher: IdentifierHasher,
  ) {
    this.slots = new LookupSlots(repository.lookupSlots);
    this.hash = (value) => hasher.hash(value);
  }

  keysOf(record: Pick<CustomerRecord, 'emails' | 'phones' | 'identityCodeHash'>): string[] {
    return lookupKeysOf(record, this.hash);
  }

  /** Candidates only: the caller confirms each against the committed state. */
  candidates(query: LookupQuery): Promise<string[]> {
    return this.slots.holders(lookupKeyOf(query, this.hash));
  }

  /** The customer that claimed a customer number (a candidate as well). */
  async numberCandidates(customerNumber: string): Promise<string[]> {
    const id = await this.repository.numberClaimant(customerNumber);
    return id ? [id] : [];
  }

  async ensure(customerId: string, keys: readonly string[]): Promise<void> {
    await Promise.all([...new Set(keys)].map((key) => this.slots.ensure(key, customerId)));
  }

  /** `ensure` for many customers at once (a bulk import's creates). */
  async ensureMany(customers: readonly { customerId: string; keys: readonly string[] }[]): Promise<void> {
    await this.slots.ensureMany(customers.flatMap(({ customerId, keys }) => keys.map((key) => ({ key, customerId }))));
  }

  async release(customerId: string, keys: readonly string[]): Promise<void> {
    await Promise.all([...new Set(keys)].map((key) => this.slots.release(key, customerId)));
  }
}

/**
 * Customers stored before the lookup slots existed get theirs once, at start-up, from the read model: idempotent
 * (ensure is), and marked done only after every customer was seen, so a crash repeats it. A customer written by an
 * older instance after the marker gets its slots at its next write or relay sweep (CustomerStore.sync).
 */
@Injectable()
export class CustomerLookupBackfill implements OnApplicationBootstrap {
  private readonly logger = new Logger(CustomerLookupBackfill.name);

  constructor(
    private readonly repository: CustomersRepository,
    private readonly lookups: CustomerLookups,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (await this.repository.backfillDone()) return;
    const started = Date.now();
    let customers = 0;
    for await (const record of this.repository.projectedRecords()) {
      await this.lookups.ensure(record.id, this.lookups.keysOf(record));
      await this.repository.ensureNumberClaim(record.customerNumber, record.id);
      customers++;
    }
    await this.repository.markBackfillDone();
    this.logger.log({ customers, ms: Date.now() - started }, 'customer lookups backfilled');
  }
}
