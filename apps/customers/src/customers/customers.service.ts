/*
 * How a write stays correct without transactions (FerretDB has none, and concurrent updates of one document
 * are not atomic there):
 *
 *   1. Propose: insert the revision `<id>:<version+1>` holding the new private state (clear e-mail addresses,
 *      sealed identity code…) and the public event payload. Inserts of one _id are decided by the unique index,
 *      so at most one revision per version can ever exist; superseded revisions become stubs, never deleted.
 *   2. Commit: append the event with expectedSequence = version+1. The event log (unique per sequence) is the
 *      commit point: revision v is committed iff event v exists, and then event v is necessarily revision v's.
 *   3. Project: the read model (`customers`, used for lookups) is rewritten from the newest committed revision
 *      by a projector that runs after the append and again from the outbox relay, so a crash after step 2
 *      heals on the next sweep. The projector re-checks the log after writing and repeats while behind, so
 *      interleaved projections of two versions cannot leave an older one in place.
 *
 * Reads of a customer go to the source (newest event → its revision), never to a lagging projection; lookups
 * find candidates by key (CustomerLookups: slot documents by `_id`, the claims of customer numbers) and then read
 * each from the source, so a stale slot is skipped.
 * A writer that finds its version already proposed helps: if that revision's event is still missing (its writer
 * may have died between steps 1 and 2) it appends it, then re-reads and decides again. So a crashed writer can
 * never block a customer, and its change is either published exactly as proposed (by the next writer) or not
 * at all. An abandoned proposal (step 1 only) is invisible to readers: nothing is committed without its event.
 * Superseded personal data does not linger: once a version is committed, older revisions become stubs and older
 * outbox payloads are redacted (the rectification history keeps field names only); erasure does the same for all.
 */
import { HttpStatus, Injectable, Logger } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import {
  ContactPointHashV1,
  CUSTOMER_EVENT_TYPES,
  isEventOfType,
  CustomerErasedV1,
  normaliseEmail,
  normalisePhone,
  TOPICS,
} from '@kielto/contracts';
import {
  Actor,
  ConcurrentModificationError,
  EventLog,
  FieldError,
  fieldProblem,
  IdentifierHasher,
  mapLimited,
  ProblemException,
} from '@kielto/platform';
import { generateCustomerNumber, INVALID_CUSTOMER_NUMBER, normaliseCustomerNumber } from './customer-number';
import { assignContactPersonIds, NewContactPerson } from './contact-person-ids';
import { contactPointsOf, CustomerView, toEventState, toView, upgradeRecord } from './customer-mapping';
import { Address, CommittedCustomer, CustomerRecord, FormerIdentifier, holdInForce } from './customer-record';
import { CustomerStore } from './customer-store';
import { CustomerLookups, formerLookupKeysOf, LookupQuery } from './customer-lookups';
import { CustomersRepository } from './customers.repository';
import { AddressDto, ContactPersonDto } from './dto/customer-parts.dto';
import { CreateCustomerDto } from './dto/create-customer.dto';
import { CustomerQueryDto } from './dto/customer-query.dto';
import { UpdateCustomerDto } from './dto/update-customer.dto';
import { IdentityCodeProtector } from './identity-code-protector';
import { advanceHoldings, identifiersOf } from './identifier-holdings';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NUMBER_ATTEMPTS = 20;
/** Customers whose taken number is decided at once (a bulk import's). */
const NUMBER_CONCURRENCY = 32;
const RECTIFIABLE_FIELDS = [
  'name',
  'personalIdentityCode',
  'businessId',
  'language',
  'emails',
  'phones',
  'address',
  'contactPersons',
  'activeContract',
  'products',
  'populationRegisterBans',
] as const;

/** Who an imported customer is (see CustomersService.create). */
export interface ImportedIdentity {
  id: string;
  customerNumber?: string;
  /** ISO-8601, not in the future. */
  since?: string;
}

/** A further condition an erasure must meet on the version it erases (the retention job's: still due). */
export interface ErasureCondition {
  holds(record: CustomerRecord): boolean;
  problemType: string;
  detail: string;
}

export interface ErasureReceipt {
  id: string;
  status: 'erased';
  erasedAt: string;
}

/** A customer with its identity code opened: only for the data subject's own export. */
export interface CustomerExportRecord {
  customer: Omit<CustomerView, 'personalIdentityCode'> & {
    personalIdentityCode?: string;
    /** The identifiers held now as the events carry them: keyed hashes, holder and holding start. */
    contactPoints: ContactPointHashV1[];
    /** Identifiers held before, as keyed hashes with their holding periods (what erasure keeps too). */
    formerContactPoints: FormerIdentifier[];
  };
  events: { sequence: number; type: string; time: string }[];
}

/** The customer register and the data subject's rights (GDPR Art 15-18, 21). */
@Injectable()
export class CustomersService {
  private readonly logger = new Logger(CustomersService.name);

  constructor(
    private readonly store: CustomerStore,
    private readonly lookups: CustomerLookups,
    private readonly repository: CustomersRepository,
    private readonly identityCodes: IdentityCodeProtector,
    private readonly hasher: IdentifierHasher,
    private readonly eventLog: EventLog,
  ) {}

  /**
   * Creates a customer. `imported`: a customer moved in from a legacy register (CustomerImportService), with the
   * id derived from its key there, its customer number if it had a valid one, and the instant the relationship
   * began (its identifiers are held since then, so the history recorded against them binds it, §3 v1.1).
   */
  async create(input: CreateCustomerDto, actor: Actor, imported?: ImportedIdentity): Promise<CustomerView> {
    const [view] = await this.createMany([{ input, imported }], actor);
    return view;
  }

  /**
   * Creates many customers at once (a bulk import; `create` is this with one): each exactly as `create` makes it,
   * with the writes of all of them in few commands and one wait for Kafka. Fails with the first failure once all
   * were attempted; every step is idempotent by the customer's id, so the same call again finishes the rest.
   */
  async createMany(
    items: readonly { input: CreateCustomerDto; imported?: ImportedIdentity }[],
    actor: Actor,
  ): Promise<CustomerView[]> {
    for (const { input } of items) this.assertKindRules(input.kind, input);
    const ids = items.map(({ imported }) => imported?.id ?? randomUUID());
    const numbers = await this.claimCustomerNumbers(items.map(({ imported }, i) => ({ id: ids[i], imported })));
    const records = items.map(({ input, imported }, i): CustomerRecord => {
      const id = ids[i];
      const now = imported?.since ?? new Date().toISOString();
      const draft: CustomerRecord = {
        id,
        customerNumber: numbers[i],
        kind: input.kind,
        name: input.name.trim(),
        ...(input.personalIdentityCode ? this.identityCodes.seal(input.personalIdentityCode, id) : {}),
        ...(input.businessId ? { businessId: input.businessId } : {}),
        language: input.language ?? 'fi',
        emails: normaliseAll(input.emails, normaliseEmail),
        phones: normaliseAll(input.phones, normalisePhone),
        ...(input.address ? { address: toAddress(input.address) } : {}),
        contactPersons: assignContactPersonIds([], (input.contactPersons ?? []).map(toContactPerson), randomUUID),
        // A prospect created without a contract never had a relationship to end: no relationshipEndedAt (R2).
        activeContract: input.activeContract ?? false,
        products: [...(input.products ?? [])],
        ...(input.populationRegisterBans?.length ? { populationRegisterBans: [...input.populationRegisterBans] } : {}),
        holdings: [],
        formerContactPoints: [],
        restrictionHistory: [],
        rectifications: [],
        createdAt: now,
        createdBy: actor.keyId,
        updatedAt: now,
      };
      return { ...draft, ...advanceHoldings(draft, this.identifiersOf(draft), now) };
    });
    await this.lookups.ensureMany(
      records.map((record) => ({ customerId: record.id, keys: this.lookups.keysOf(record) })),
    );
    const outcomes = await this.store.commitMany(
      records.map((record) => ({
        customerId: record.id,
        baseVersion: 0,
        type: CUSTOMER_EVENT_TYPES.created,
        payload: toEventState(record, this.hasher),
        record,
      })),
    );
    return records.map((record, i) => {
      const outcome = outcomes[i];
      if (!outcome.ok) throw outcome.error;
      return toView(record, outcome.version);
    });
  }

  async get(id: string): Promise<CustomerView> {
    const { record, version } = await this.loadLive(id);
    return toView(record, version);
  }

  /** Lookup by e-mail, phone or customer number, in any case or format. */
  async find(query: CustomerQueryDto): Promise<CustomerView[]> {
    const given = (['email', 'phone', 'customerNumber'] as const).filter((k) => query[k] !== undefined);
    if (given.length !== 1)
      throw fieldProblem(given[1] ?? 'email', 'give exactly one of email, phone or customerNumber');
    if (query.customerNumber !== undefined) {
      const customerNumber = normaliseCustomerNumber(query.customerNumber);
      if (!customerNumber) throw fieldProblem('customerNumber', INVALID_CUSTOMER_NUMBER);
      return this.confirmed(
        await this.lookups.numberCandidates(customerNumber),
        (r) => r.customerNumber === customerNumber,
      );
    }
    const lookup: LookupQuery =
      query.email !== undefined
        ? { field: 'email', value: normaliseEmail(query.email)! }
        : { field: 'phone', value: normalisePhone(query.phone!)! };
    return this.lookup(lookup);
  }

  findByIdentityCode(code: string): Promise<CustomerView[]> {
    return this.lookup({ field: 'identityCodeHash', value: this.identityCodes.hash(code) });
  }

  /**
   * Rectification (GDPR Art 16): records which fields changed, when and by which key, never the values. Allowed
   * while processing is restricted (R7: rectification is what resolves a restriction); the restriction stays.
   */
  update(id: string, input: UpdateCustomerDto, actor: Actor): Promise<CustomerView> {
    return this.retryOnce(async () => {
      const { record, version } = await this.loadLive(id);
      const next: CustomerRecord = { ...record };
      if (input.name !== undefined) next.name = input.name.trim();
      if (input.personalIdentityCode === null) {
        delete next.identityCode;
        delete next.identityCodeHash;
        delete next.identityCodeMask;
      } else if (input.personalIdentityCode !== undefined) {
        if (this.identityCodes.hash(input.personalIdentityCode) !== record.identityCodeHash) {
          Object.assign(next, this.identityCodes.seal(input.personalIdentityCode, id));
        }
      }
      if (input.businessId === null) delete next.businessId;
      else if (input.businessId !== undefined) next.businessId = input.businessId;
      if (input.language !== undefined) next.language = input.language;
      if (input.emails !== undefined) next.emails = normaliseAll(input.emails, normaliseEmail);
      if (input.phones !== undefined) next.phones = normaliseAll(input.phones, normalisePhone);
      if (input.address === null) delete next.address;
      else if (input.address !== undefined) next.address = toAddress(input.address);
      if (input.contactPersons !== undefined)
        next.contactPersons = assignContactPersonIds(
          record.contactPersons,
          input.contactPersons.map(toContactPerson),
          randomUUID,
        );
      if (input.activeContract !== undefined) next.activeContract = input.activeContract;
      if (input.products !== undefined) next.products = [...input.products];
      if (input.populationRegisterBans?.length) next.populationRegisterBans = [...input.populationRegisterBans];
      else if (input.populationRegisterBans !== undefined) delete next.populationRegisterBans;
      // Each write also moves a code sealed with a retired key to the active one.
      if (next.identityCode) next.identityCode = this.identityCodes.rotate(next.identityCode, id);
      this.assertKindRules(next.kind, {
        personalIdentityCode: next.identityCode ? 'set' : undefined,
        businessId: next.businessId,
        contactPersons: next.contactPersons,
      });

      const fields = changedFields(record, next);
      if (fields.length === 0) {
        // Nothing to change, perhaps because a lost attempt already did: answer once that change is on Kafka.
        await this.eventLog.ensurePublished(TOPICS.customers, id);
        return toView(record, version);
      }
      const now = new Date().toISOString();
      next.updatedAt = now;
      Object.assign(next, advanceHoldings(record, this.identifiersOf(next), now));
      if (next.activeContract) delete next.relationshipEndedAt;
      else if (record.activeContract) next.relationshipEndedAt = now;
      next.rectifications = [...record.rectifications, { at: now, actor: actor.keyId, fields }];
      const keys = this.lookups.keysOf(next);
      await this.lookups.ensure(id, keys);
      const committed = await this.store.commit({
        customerId: id,
        baseVersion: version,
        type: CUSTOMER_EVENT_TYPES.updated,
        payload: toEventState(next, this.hasher),
        record: next,
      });
      const released = this.lookups.keysOf(record).filter((key) => !keys.includes(key));
      if (released.length > 0) {
        // Vacate, then sync: the sync re-ensures whatever a concurrent write has committed again (CustomerLookups).
        // Committed already, so a failure only leaves slots that readers skip.
        await this.lookups
          .release(id, released)
          .then(() => this.store.sync(id))
          .catch((error: unknown) => this.logger.warn({ err: error, customerId: id }, 'former lookups not released'));
      }
      return toView(next, committed);
    });
  }

  /** Restriction of processing (GDPR Art 18): the record is only stored, and suppression blocks all marketing. */
  restrict(id: string, reason: string, actor: Actor): Promise<CustomerView> {
    return this.amend(id, CUSTOMER_EVENT_TYPES.restricted, (record, now) => {
      this.assertNotRestricted(record);
      return {
        ...record,
        restriction: { since: now, reason, by: actor.keyId },
        restrictionHistory: [
          ...(record.restrictionHistory ?? []),
          { at: now, action: 'restricted', actor: actor.keyId, reason },
        ],
      };
    });
  }

  liftRestriction(id: string, reason: string | undefined, actor: Actor): Promise<CustomerView> {
    return this.amend(id, CUSTOMER_EVENT_TYPES.restrictionLifted, (record, now) => {
      if (!record.restriction) {
        throw new ProblemException(
          HttpStatus.CONFLICT,
          'not-restricted',
          'Processing of this customer is not restricted',
        );
      }
      const lifted = { at: now, action: 'lifted' as const, actor: actor.keyId, ...(reason ? { reason } : {}) };
      const next: CustomerRecord = {
        ...record,
        restrictionHistory: [...(record.restrictionHistory ?? []), lifted],
      };
      delete next.restriction;
      return next;
    });
  }

  /**
   * Places (or replaces) a legal hold: erasure is refused while it is in force (GDPR Art 17(3)(e)). The hold is
   * part of the record, so a hold and an erasure of the same version cannot both commit. Not on Kafka: the event
   * published is an update with the public state unchanged.
   */
  placeLegalHold(id: string, hold: { reason: string; until?: string }, actor: Actor): Promise<CustomerView> {
    if (hold.until !== undefined && Date.parse(hold.until) <= Date.now())
      throw fieldProblem('until', 'until must be in the future');
    const until = hold.until === undefined ? undefined : new Date(hold.until).toISOString();
    return this.amend(id, CUSTOMER_EVENT_TYPES.updated, (record, now) => ({
      ...record,
      legalHold: { since: now, reason: hold.reason, by: actor.keyId, ...(until ? { until } : {}) },
      legalHoldHistory: [
        ...(record.legalHoldHistory ?? []),
        { at: now, action: 'placed', actor: actor.keyId, reason: hold.reason, ...(until ? { until } : {}) },
      ],
    }));
  }

  releaseLegalHold(id: string, actor: Actor): Promise<CustomerView> {
    return this.amend(id, CUSTOMER_EVENT_TYPES.updated, (record, now) => {
      if (!record.legalHold)
        throw new ProblemException(HttpStatus.CONFLICT, 'no-legal-hold', 'The customer has no legal hold');
      const next: CustomerRecord = {
        ...record,
        legalHoldHistory: [...(record.legalHoldHistory ?? []), { at: now, action: 'released', actor: actor.keyId }],
      };
      delete next.legalHold;
      return next;
    });
  }

  /**
   * Erasure (GDPR Art 17). Refused while a contract is active (a legal basis to keep the data); allowed while
   * processing is restricted (R7). The erased event carries only keyed hashes of the identifiers held now and
   * before, so opt-outs keep being honoured (R8); every earlier revision and published payload of the customer is
   * stripped of personal data.
   */
  erase(id: string, actor: Actor, condition?: ErasureCondition): Promise<ErasureReceipt> {
    return this.retryOnce(async () => {
      const { record, version } = await this.loadLive(id);
      if (record.activeContract) {
        throw new ProblemException(
          HttpStatus.CONFLICT,
          'active-contract',
          'The customer has an active contract, a legal basis to keep the data; end it (activeContract: false) before erasure',
        );
      }
      if (holdInForce(record.legalHold)) {
        const { since, reason, until } = record.legalHold;
        throw new ProblemException(
          HttpStatus.CONFLICT,
          'legal-hold',
          `The customer is under a legal hold since ${since}${until ? ` until ${until}` : ''} (${reason}); release it (DELETE /v1/customers/${id}/legal-hold) before erasure`,
        );
      }
      // Decided on the same version that is committed, so a change in between makes the commit lose, not erase.
      if (condition && !condition.holds(record))
        throw new ProblemException(HttpStatus.CONFLICT, condition.problemType, condition.detail);
      const erasedAt = new Date().toISOString();
      const payload: CustomerErasedV1 = {
        customerId: id,
        contactPoints: contactPointsOf(record, this.hasher),
        formerContactPoints: record.formerContactPoints.map((f) => ({ ...f })),
        erasedAt,
      };
      await this.store.commit({
        customerId: id,
        baseVersion: version,
        type: CUSTOMER_EVENT_TYPES.erased,
        payload,
        erasedAt,
      });
      // Nothing can make an erased customer hold an identifier again, so its slots are vacated for good; a crash
      // before this leaves slots that readers skip (the candidate is erased).
      await this.lookups
        .release(id, [...this.lookups.keysOf(record), ...formerLookupKeysOf(record.formerContactPoints)])
        .catch((error: unknown) => this.logger.warn({ err: error, customerId: id }, 'erased lookups not released'));
      // Events of this customer still waiting in the outbox keep their payload until published; publish them
      // now so that the redaction reaches them too (a failure here is repaired by the next sync of this id).
      await this.eventLog
        .flush()
        .then(() => this.store.sync(id))
        .catch((error: unknown) => this.logger.warn({ err: error, customerId: id }, 'erasure redaction deferred'));
      this.logger.log({ customerId: id, actor: actor.keyId }, 'customer erased');
      return { id, status: 'erased', erasedAt };
    });
  }

  /** The customer for the data subject's own export: everything held, the identity code opened. */
  async exportRecord(id: string): Promise<CustomerExportRecord> {
    const { record, version } = await this.loadLive(id);
    const events = await this.store.events(id);
    const view = toView(record, version);
    return {
      customer: {
        ...view,
        // The own export is the one answer that shows a safety-banned customer's address (§3.9).
        ...(record.address ? { address: record.address } : {}),
        ...(record.identityCode ? { personalIdentityCode: this.identityCodes.open(record.identityCode, id) } : {}),
        contactPoints: contactPointsOf(record, this.hasher),
        formerContactPoints: record.formerContactPoints,
      },
      events: events.map((e) => ({ sequence: e.sequence, type: e.type, time: e.time })),
    };
  }

  /**
   * The customer's own e-mail addresses and phone numbers as keyed subjects (`email:<hash>`) with the periods the
   * customer held them, now and before, also after erasure (the erased event keeps the hashes, R8): a lookup of one of
   * them while it was the customer's is a read of the customer. Contact persons' are theirs (R3). Empty for an
   * unknown id.
   */
  async ownIdentifierPeriods(id: string): Promise<{ subject: string; from: string; until?: string }[]> {
    const current = UUID.test(id) ? await this.load(id.toLowerCase()) : undefined;
    if (!current) return [];
    let held: { kind: string; hash: string; owner: string; from?: string; until?: string }[];
    if (!current.erased) {
      held = [...current.record.holdings, ...current.record.formerContactPoints];
    } else {
      const last = (await this.store.events(id.toLowerCase())).at(-1);
      const erased = last && isEventOfType(last, CUSTOMER_EVENT_TYPES.erased) ? last.data : undefined;
      held = [
        ...(erased?.contactPoints ?? []).map((cp) => ({ ...cp, until: current.erasedAt })),
        ...(erased?.formerContactPoints ?? []),
      ];
    }
    return held
      .filter((h) => h.owner === 'own')
      .map((h) => ({
        subject: `${h.kind}:${h.hash}`,
        from: h.from ?? '1970-01-01T00:00:00.000Z',
        ...(h.until ? { until: h.until } : {}),
      }));
  }

  // ---- helpers ----

  /** A change of one live customer computed from its committed state, committed as `type` with its public state. */
  private amend(
    id: string,
    type: string,
    change: (record: CustomerRecord, now: string) => CustomerRecord,
  ): Promise<CustomerView> {
    return this.retryOnce(async () => {
      const { record, version } = await this.loadLive(id);
      const now = new Date().toISOString();
      const next: CustomerRecord = { ...change(record, now), updatedAt: now };
      const committed = await this.store.commit({
        customerId: id,
        baseVersion: version,
        type,
        payload: toEventState(next, this.hasher),
        record: next,
      });
      return toView(next, committed);
    });
  }

  private async loadLive(id: string): Promise<{ record: CustomerRecord; version: number }> {
    const current = UUID.test(id) ? await this.load(id.toLowerCase()) : undefined;
    if (!current || current.erased)
      throw new ProblemException(HttpStatus.NOT_FOUND, 'not-found', 'No customer with this id');
    return current;
  }

  /** The committed state, read as contract v1.1 reads records (see upgradeRecord). */
  private async load(id: string): Promise<CommittedCustomer | undefined> {
    const current = await this.store.load(id);
    if (!current || current.erased) return current;
    return { ...current, record: upgradeRecord(current.record, this.hasher) };
  }

  private identifiersOf(record: CustomerRecord) {
    return identifiersOf(record, (value) => this.hasher.hash(value));
  }

  private async lookup(query: LookupQuery): Promise<CustomerView[]> {
    return this.confirmed(await this.lookups.candidates(query), (record) => matches(record, query));
  }

  /** The candidates whose committed state matches: a slot or claim may name a customer that does not (or no more). */
  private async confirmed(ids: string[], match: (record: CustomerRecord) => boolean): Promise<CustomerView[]> {
    const found: CustomerView[] = [];
    for (const id of ids) {
      const current = await this.load(id);
      if (!current || current.erased) continue;
      if (match(current.record)) found.push(toView(current.record, current.version));
    }
    return found;
  }

  /**
   * The numbers of new customers: an imported one's own (a legacy register's), else a drawn one. The first claim
   * of every customer goes in one write; a number found taken is decided one by one as below.
   */
  private async claimCustomerNumbers(
    customers: readonly { id: string; imported?: ImportedIdentity }[],
  ): Promise<string[]> {
    const first = customers.map(
      ({ id, imported }) =>
        imported?.customerNumber ?? generateCustomerNumber(imported ? seededDraw(id, 0) : undefined),
    );
    const claimed = await this.repository.claimCustomerNumbers(
      customers.map(({ id }, i) => ({ customerNumber: first[i], customerId: id })),
    );
    const indexed = customers.map((customer, i) => ({ ...customer, i }));
    return mapLimited(indexed, NUMBER_CONCURRENCY, async ({ id, imported, i }) => {
      if (claimed[i]) return first[i];
      return imported?.customerNumber
        ? this.claimGivenCustomerNumber(imported.customerNumber, id)
        : this.claimCustomerNumber(id, imported !== undefined);
    });
  }

  /**
   * Draws a free customer number. `seeded`: the draws follow from the customer id, so a retried import of the same
   * customer finds the number its first attempt claimed instead of leaving that one claimed for nobody.
   */
  private async claimCustomerNumber(customerId: string, seeded = false): Promise<string> {
    for (let attempt = 0; attempt < NUMBER_ATTEMPTS; attempt++) {
      const candidate = generateCustomerNumber(seeded ? seededDraw(customerId, attempt) : undefined);
      if (await this.repository.claimCustomerNumber(candidate, customerId)) return candidate;
      if (seeded && (await this.repository.numberClaimant(candidate)) === customerId) return candidate;
    }
    throw new Error('could not draw a free customer number');
  }

  /** Claims a number the customer already has (a legacy register's); 409 when another customer holds it. */
  private async claimGivenCustomerNumber(customerNumber: string, customerId: string): Promise<string> {
    if (await this.repository.claimCustomerNumber(customerNumber, customerId)) return customerNumber;
    if ((await this.repository.numberClaimant(customerNumber)) === customerId) return customerNumber;
    throw new ProblemException(HttpStatus.CONFLICT, 'customer-number-taken', 'The customer number is taken', [
      { field: 'customerNumber', message: 'customerNumber belongs to another customer' },
    ]);
  }

  private assertNotRestricted(record: CustomerRecord): void {
    if (record.restriction) {
      throw new ProblemException(
        HttpStatus.CONFLICT,
        'processing-restricted',
        'Processing of this customer is already restricted (GDPR Art 18)',
      );
    }
  }

  private assertKindRules(kind: CustomerRecord['kind'], input: KindRuleInput): void {
    const [broken] = kindRuleErrors(kind, input);
    if (broken) throw fieldProblem(broken.field, broken.message);
  }

  /** A concurrent write of the same customer: decide once more on fresh state, then give up with 409. */
  private async retryOnce<T>(action: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await action();
      } catch (error) {
        if (!(error instanceof ConcurrentModificationError)) throw error;
        if (attempt >= 1) {
          throw new ProblemException(
            HttpStatus.CONFLICT,
            'concurrent-modification',
            'The customer was changed by another request; try again',
          );
        }
      }
    }
  }
}

type KindRuleInput = { personalIdentityCode?: string | null; businessId?: string | null; contactPersons?: unknown[] };

/** What a person and an organisation may carry: the rule of every write, single or imported. */
export function kindRuleErrors(kind: CustomerRecord['kind'], input: KindRuleInput): FieldError[] {
  if (kind === 'person') {
    return [
      ...(input.businessId ? [{ field: 'businessId', message: 'businessId is for organisations only' }] : []),
      ...(input.contactPersons?.length
        ? [{ field: 'contactPersons', message: 'contactPersons are for organisations only' }]
        : []),
    ];
  }
  return input.personalIdentityCode
    ? [{ field: 'personalIdentityCode', message: 'personalIdentityCode is for persons only' }]
    : [];
}

/** Draws for generateCustomerNumber that follow from a seed: the same seed and attempt give the same number. */
function seededDraw(seed: string, attempt: number): (min: number, max: number) => number {
  return (min, max) => min + (createHash('sha256').update(`${seed}:${attempt}`).digest().readUInt32BE(0) % (max - min));
}

function normaliseAll(values: string[] | undefined, normalise: (raw: string) => string | null): string[] {
  const out: string[] = [];
  for (const raw of values ?? []) {
    const value = normalise(raw);
    if (value !== null && !out.includes(value)) out.push(value);
  }
  return out;
}

function toAddress(input: AddressDto): Address {
  return {
    street: input.street.trim(),
    postalCode: input.postalCode.trim(),
    city: input.city.trim(),
    country: input.country.trim(),
  };
}

function toContactPerson(input: ContactPersonDto): NewContactPerson {
  const email = input.email === undefined ? null : normaliseEmail(input.email);
  const phone = input.phone === undefined ? null : normalisePhone(input.phone);
  return {
    name: input.name.trim(),
    ...(email ? { email } : {}),
    ...(phone ? { phone } : {}),
    ...(input.title ? { title: input.title.trim() } : {}),
    ...(input.address ? { address: toAddress(input.address) } : {}),
  };
}

function changedFields(before: CustomerRecord, after: CustomerRecord): string[] {
  const value = (r: CustomerRecord, field: (typeof RECTIFIABLE_FIELDS)[number]): unknown => {
    if (field === 'personalIdentityCode') return r.identityCodeHash ?? null;
    return r[field] ?? null;
  };
  return RECTIFIABLE_FIELDS.filter((f) => JSON.stringify(value(before, f)) !== JSON.stringify(value(after, f)));
}

function matches(record: CustomerRecord, query: LookupQuery): boolean {
  switch (query.field) {
    case 'email':
      return record.emails.includes(query.value);
    case 'phone':
      return record.phones.includes(query.value);
    case 'identityCodeHash':
      return record.identityCodeHash === query.value;
  }
}
