import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { CustomerKind, Language, LANGUAGES } from '@kielto/contracts';
import { byId, insertNew, LookupSlotDoc, LookupSlots, mapLimited, MongoLookupSlotStore } from '@kielto/platform';
import { CustomerContactsDoc } from './schemas/customer-contacts.schema';

/** An identifier (as its ledger subject key) the customer or one of its contact persons holds or held. */
export interface Holding {
  key: string;
  owner: 'own' | 'contact-person';
  person?: string;
  /** Epoch ms: held in `[from, until)`; `until` absent while held. */
  from: number;
  until?: number;
}

export interface CustomerContacts {
  customerId: string;
  sequence: number;
  /** Ledger subject keys of the customer's e-mail addresses and phone numbers. */
  subjects: string[];
  /** Every identifier held now or before, with when (absent for customers projected before contract v1.1). */
  holdings: Holding[];
  kind?: CustomerKind;
  activeContract?: boolean;
  language?: Language;
  erasedAt?: Date;
}

/** Which customers hold or held an identifier: slot documents by `_id` (see LookupSlots). */
export const CUSTOMER_IDENTIFIERS = 'customer_identifiers';
/** Marks the slots of customers projected before they existed as built (in the slots' collection). */
const BACKFILL_MARKER = 'backfill:identifiers-v1';

/** Held sequences read at once by a batch's apply. */
const READ_CONCURRENCY = 32;

const isDuplicateKey = (e: unknown) => (e as { code?: number }).code === 11000;

/**
 * The only file that touches the customer_contacts and customer_identifiers collections. Every read and write is by
 * `_id`: FerretDB v1 answers no other filter from an index, so "who holds this identifier" is kept as slot documents
 * keyed by the identifier's subject key, naming the customers that hold or held it. A slot is written before the
 * contacts document that it points to, so none is ever missing; a slot whose customer does not (or no more) hold
 * the identifier is skipped, since every candidate is confirmed against its contacts document.
 */
@Injectable()
export class CustomerDirectoryRepository implements OnApplicationBootstrap {
  private readonly logger = new Logger(CustomerDirectoryRepository.name);
  private readonly slots: LookupSlots;

  constructor(
    @InjectModel(CustomerContactsDoc.name) private readonly docs: Model<CustomerContactsDoc>,
    @InjectModel(CUSTOMER_IDENTIFIERS) private readonly slotDocs: Model<LookupSlotDoc>,
  ) {
    this.slots = new LookupSlots(new MongoLookupSlotStore(slotDocs));
  }

  /**
   * Applies customers' states, each if it is newer than what is held (a consumer batch at once, issue 20: an
   * import's thousand creates are a few commands, not a dozen reads and writes each). Only each customer's newest
   * state of the batch counts. A first state (sequence 1) usually finds no document and is inserted without a read
   * (one already held is a redelivery: the insert fails and nothing changes); a later one reads the held sequence
   * first and is skipped when it is not newer. The slots of what is applied are ensured before its document is
   * written, so a contacts document never names an identifier without one. Events of one customer arrive in order on
   * one partition and are handled one batch at a time, so the read and the write by `_id` do not race.
   */
  async apply(states: readonly Omit<CustomerContacts, 'erasedAt'>[]): Promise<void> {
    const newest = new Map<string, Omit<CustomerContacts, 'erasedAt'>>();
    for (const state of states)
      if ((newest.get(state.customerId)?.sequence ?? 0) < state.sequence) newest.set(state.customerId, state);
    const firsts = [...newest.values()].filter((state) => state.sequence === 1);
    const later = [...newest.values()].filter((state) => state.sequence !== 1);
    const held = await mapLimited(later, READ_CONCURRENCY, (state) => this.heldSequence(state.customerId));
    const updates = later.filter((state, i) => (held[i] ?? 0) < state.sequence);
    const applied = [...firsts, ...updates];
    if (applied.length === 0) return;
    // Every identifier each applied customer holds or held in this batch (its intermediate states' too).
    const slots = new Map<string, { key: string; customerId: string }>();
    const applying = new Set(applied.map((state) => state.customerId));
    for (const state of states) {
      if (!applying.has(state.customerId)) continue;
      for (const key of [...state.subjects, ...state.holdings.map((h) => h.key)])
        slots.set(`${key}\n${state.customerId}`, { key, customerId: state.customerId });
    }
    await this.slots.ensureMany([...slots.values()]);
    await insertNew(
      this.docs,
      firsts.map((state) => ({ _id: state.customerId, ...contactsFields(state) })),
    );
    await mapLimited(updates, READ_CONCURRENCY, (state) =>
      this.docs.updateOne({ _id: state.customerId }, { $set: contactsFields(state) }, { upsert: true }),
    );
  }

  /**
   * After erasure only the keyed hashes stay (R8), so a redelivered erasure still knows what to erase. The slots are
   * vacated (an erased customer never holds anything again; readers skip erased ones anyway).
   */
  async markErased(customerId: string, sequence: number, subjects: string[], erasedAt: Date): Promise<void> {
    if (((await this.heldSequence(customerId)) ?? 0) >= sequence) return;
    await this.docs.updateOne(
      { _id: customerId },
      { $set: { sequence, subjects, erasedAt }, $unset: { language: 1 } },
      { upsert: true },
    );
    await Promise.all(subjects.map((key) => this.slots.release(key, customerId)));
  }

  async findById(customerId: string): Promise<CustomerContacts | undefined> {
    const doc = await this.docs.findOne({ _id: customerId }).lean();
    return doc ? toContacts(doc) : undefined;
  }

  /**
   * Whether a customer other than `customerId`, not erased, holds or held the identifier subject (erasure keeps a
   * ledger that may bind another customer, R8).
   */
  async heldByAnother(subjectKey: string, customerId: string): Promise<boolean> {
    const others = (await this.slots.holders(subjectKey)).filter((id) => id !== customerId);
    const docs = await this.candidates(others);
    return docs.some(
      (d) =>
        !d.erasedAt &&
        ((d.subjects ?? []).includes(subjectKey) || (d.holdings ?? []).some((h) => h.key === subjectKey)),
    );
  }

  /** The customer (not erased) an identifier subject belongs to, if any; the newest if several hold it. */
  async findOwnerOf(subjectKey: string): Promise<CustomerContacts | undefined> {
    const docs = await this.candidates(await this.slots.holders(subjectKey));
    const live = docs
      .filter((d) => !d.erasedAt && (d.subjects ?? []).includes(subjectKey))
      .sort((a, b) => b.sequence - a.sequence);
    return live[0] ? toContacts(live[0]) : undefined;
  }

  /**
   * Customers projected before the slots existed get theirs once, at start-up: idempotent, and marked done only
   * after every document was seen, so a crash repeats it.
   */
  async onApplicationBootstrap(): Promise<void> {
    if (await byId(this.slotDocs, BACKFILL_MARKER)) return;
    const started = Date.now();
    let customers = 0;
    const cursor = this.docs.find({}).lean<CustomerContactsDoc[]>().cursor({ batchSize: 500 });
    try {
      for await (const doc of cursor) {
        if (doc.erasedAt) continue;
        const holdings = (doc.holdings ?? []).map((h) => h.key);
        await this.ensureSlots(doc._id, [...(doc.subjects ?? []), ...holdings]);
        customers++;
      }
    } finally {
      await cursor.close();
    }
    try {
      await this.slotDocs.create({ _id: BACKFILL_MARKER });
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
    this.logger.log({ customers, ms: Date.now() - started }, 'customer identifier slots backfilled');
  }

  private async heldSequence(customerId: string): Promise<number | undefined> {
    return (await byId(this.docs, customerId, { sequence: 1 }))?.sequence;
  }

  private async ensureSlots(customerId: string, keys: string[]): Promise<void> {
    await Promise.all([...new Set(keys)].map((key) => this.slots.ensure(key, customerId)));
  }

  private async candidates(ids: string[]): Promise<CustomerContactsDoc[]> {
    const docs = await Promise.all(ids.map((id) => byId<CustomerContactsDoc>(this.docs, id)));
    return docs.filter((d): d is CustomerContactsDoc => d !== null);
  }
}

/** What a state sets on the customer's contacts document. */
function contactsFields(state: Omit<CustomerContacts, 'erasedAt'>): Record<string, unknown> {
  return {
    sequence: state.sequence,
    subjects: state.subjects,
    holdings: state.holdings,
    ...(state.kind ? { kind: state.kind } : {}),
    ...(state.activeContract !== undefined ? { activeContract: state.activeContract } : {}),
    ...(state.language ? { language: state.language } : {}),
  };
}

function toContacts(doc: CustomerContactsDoc): CustomerContacts {
  const language = LANGUAGES.find((l) => l === doc.language);
  const kind = doc.kind === 'person' || doc.kind === 'organization' ? doc.kind : undefined;
  return {
    customerId: doc._id,
    sequence: doc.sequence,
    subjects: doc.subjects ?? [],
    // Projected before v1.1: every identifier held since forever (the v1 reading, which binds the most).
    holdings:
      (doc.holdings as Holding[] | undefined) ?? (doc.subjects ?? []).map((key) => ({ key, owner: 'own', from: 0 })),
    ...(kind ? { kind } : {}),
    ...(doc.activeContract !== undefined ? { activeContract: doc.activeContract } : {}),
    ...(language ? { language } : {}),
    ...(doc.erasedAt ? { erasedAt: doc.erasedAt } : {}),
  };
}
