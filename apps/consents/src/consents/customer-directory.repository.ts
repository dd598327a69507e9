import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { CustomerKind, Language, LANGUAGES } from '@kielto/contracts';
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

/** The only file that touches the customer_contacts collection. */
@Injectable()
export class CustomerDirectoryRepository {
  constructor(@InjectModel(CustomerContactsDoc.name) private readonly docs: Model<CustomerContactsDoc>) {}

  /**
   * Applies a customer's state if it is newer than what is held. Events of one customer arrive in order on
   * one partition and are handled one batch at a time, so the two writes never race each other.
   */
  async apply(state: Omit<CustomerContacts, 'erasedAt'>): Promise<void> {
    const set = {
      sequence: state.sequence,
      subjects: state.subjects,
      holdings: state.holdings,
      formerSubjects: [...new Set(state.holdings.filter((h) => h.until !== undefined).map((h) => h.key))],
      ...(state.kind ? { kind: state.kind } : {}),
      ...(state.activeContract !== undefined ? { activeContract: state.activeContract } : {}),
      ...(state.language ? { language: state.language } : {}),
    };
    await this.docs.updateOne({ _id: state.customerId, sequence: { $lt: state.sequence } }, { $set: set });
    await this.docs.updateOne({ _id: state.customerId }, { $setOnInsert: set }, { upsert: true });
  }

  /** After erasure only the keyed hashes stay (R8), so a redelivered erasure still knows what to erase. */
  async markErased(customerId: string, sequence: number, subjects: string[], erasedAt: Date): Promise<void> {
    const set = { sequence, subjects, erasedAt };
    await this.docs.updateOne({ _id: customerId, sequence: { $lt: sequence } }, { $set: set, $unset: { language: 1 } });
    await this.docs.updateOne({ _id: customerId }, { $setOnInsert: set }, { upsert: true });
  }

  async findById(customerId: string): Promise<CustomerContacts | undefined> {
    const doc = await this.docs.findOne({ _id: customerId }).lean();
    return doc ? toContacts(doc) : undefined;
  }

  /**
   * Whether a customer other than `customerId`, not erased, holds or held the identifier subject (erasure keeps a
   * ledger that may bind another customer, R8). Rare, so a query by field is fine here.
   */
  async heldByAnother(subjectKey: string, customerId: string): Promise<boolean> {
    const docs = await this.docs
      .find({ $or: [{ subjects: subjectKey }, { formerSubjects: subjectKey }], _id: { $ne: customerId } })
      .lean();
    return docs.some((d) => !d.erasedAt);
  }

  /** The customer (not erased) an identifier subject belongs to, if any. */
  async findOwnerOf(subjectKey: string): Promise<CustomerContacts | undefined> {
    const docs = await this.docs.find({ subjects: subjectKey }).lean();
    const live = docs.filter((d) => !d.erasedAt).sort((a, b) => b.sequence - a.sequence);
    return live[0] ? toContacts(live[0]) : undefined;
  }
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
