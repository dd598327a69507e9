import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import {
  CONSENT_EVENT_TYPES,
  ConsentDecision,
  ConsentEvidenceV1,
  ConsentRecordedV1,
  ConsentSubjectV1,
  Language,
  LedgerChannel,
  LedgerPurpose,
  normaliseEmail,
  normalisePhone,
  subjectKey,
  TOPICS,
} from '@kielto/contracts';
import {
  ConcurrentModificationError,
  EventLog,
  FieldError,
  fieldProblem,
  IdentifierHasher,
  ProblemException,
} from '@kielto/platform';
import { CustomerDirectoryRepository } from './customer-directory.repository';
import { KeyedQueue } from './keyed-queue';
import { compareEntries, CurrentPermission, deriveCurrent } from './ledger-state';

/** A ledger entry as stored and as the API shows it: the decision plus its evidence (R6). */
export interface LedgerEntry extends ConsentRecordedV1 {
  evidence: ConsentEvidenceV1;
}

export interface LedgerView {
  current: CurrentPermission[];
  history: LedgerEntry[];
}

/** A decision to append to a subject's ledger. */
export interface NewDecision {
  subject: ConsentSubjectV1;
  channel: LedgerChannel;
  purpose: LedgerPurpose;
  decision: ConsentDecision;
  source: string;
  evidence: ConsentEvidenceV1;
  /** ISO-8601; grants only, in the future (checked by `assertExpiry`). */
  expiresAt?: string;
}

/** Whom a request is about: exactly one of these. */
export interface SubjectInput {
  customerId?: string;
  email?: string;
  phone?: string;
}

/** The people a subject stands for: the subject keys whose entries apply, and the customer's language. */
export interface SubjectScope {
  subjectKeys: string[];
  customerId?: string;
  language?: Language;
}

const SUBJECT_FIELDS = ['customerId', 'email', 'phone'] as const;
const ONCE_ATTEMPTS = 100;

/**
 * The consent/prohibition ledger. The service's event log is the ledger: append-only, one aggregate per
 * subject (`customer:<id>`, `email:<hash>`, `phone:<hash>`), every entry carrying its evidence. Appends of
 * one subject get a definite order from the log's unique sequence index, and the entry's `recordedAt` is taken
 * after the previous entry was read, so time order and sequence order agree.
 */
@Injectable()
export class ConsentsService {
  /** Appends of one subject take turns inside this process (see KeyedQueue). */
  private readonly appends = new KeyedQueue();

  constructor(
    private readonly eventLog: EventLog,
    private readonly hasher: IdentifierHasher,
    private readonly directory: CustomerDirectoryRepository,
  ) {}

  /** The subject of a request; a 400 problem naming the fields unless exactly one identifier is given. */
  subjectOf(input: SubjectInput): ConsentSubjectV1 {
    const given = SUBJECT_FIELDS.filter((k) => input[k] !== undefined);
    if (given.length !== 1) {
      const fields = given.length === 0 ? SUBJECT_FIELDS : given;
      const message = 'exactly one of customerId, email or phone is required';
      const errors: FieldError[] = fields.map((field) => ({ field, message }));
      throw new ProblemException(400, 'validation', `Invalid request: ${fields.join(', ')}`, errors);
    }
    if (input.customerId !== undefined) return { type: 'customer', key: input.customerId };
    if (input.email !== undefined) {
      const email = normaliseEmail(input.email);
      if (email === null) throw fieldProblem('email', 'email must be a valid e-mail address');
      return { type: 'email', key: this.hasher.hash(email) };
    }
    const phone = normalisePhone(input.phone!);
    if (phone === null) throw fieldProblem('phone', 'phone must be a valid phone number');
    return { type: 'phone', key: this.hasher.hash(phone) };
  }

  /** expiresAt applies to grants only and must lie in the future. */
  assertExpiry(decision: ConsentDecision, expiresAt: string | undefined, now = Date.now()): void {
    if (expiresAt === undefined) return;
    if (decision !== 'grant') throw fieldProblem('expiresAt', 'expiresAt applies to grants only');
    if (Date.parse(expiresAt) <= now) throw fieldProblem('expiresAt', 'expiresAt must be in the future');
  }

  async record(decision: NewDecision): Promise<LedgerEntry> {
    this.assertExpiry(decision.decision, decision.expiresAt);
    const aggregateId = subjectKey(decision.subject);
    const event = await this.appends.run(aggregateId, () =>
      this.eventLog.append<LedgerEntry>({
        topic: TOPICS.consents,
        aggregateId,
        type: CONSENT_EVENT_TYPES.recorded,
        data: (sequence) => toEntry(decision, sequence),
      }),
    );
    return event.data;
  }

  /**
   * Appends the decision unless the subject's ledger already holds an entry with the same `evidence.tokenId`
   * (a repeated one-click unsubscribe). The check and the append are one step: the append demands the
   * sequence that follows what was read, so a concurrent duplicate makes it read again instead of landing twice.
   */
  async recordOnce(
    decision: NewDecision & { evidence: { tokenId: string } },
  ): Promise<{ entry: LedgerEntry; created: boolean }> {
    const aggregateId = subjectKey(decision.subject);
    return this.appends.run(aggregateId, async () => {
      for (let attempt = 0; attempt < ONCE_ATTEMPTS; attempt++) {
        const events = await this.eventLog.history(TOPICS.consents, aggregateId);
        const existing = events.find(
          (e) =>
            e.type === CONSENT_EVENT_TYPES.recorded &&
            (e.data as LedgerEntry).evidence?.tokenId === decision.evidence.tokenId,
        );
        if (existing) {
          // Recorded by an earlier attempt, whose answer may have been lost: answer once it is on Kafka.
          await this.eventLog.ensurePublished(TOPICS.consents, aggregateId);
          return { entry: existing.data as LedgerEntry, created: false };
        }
        try {
          const event = await this.eventLog.append<LedgerEntry>({
            topic: TOPICS.consents,
            aggregateId,
            type: CONSENT_EVENT_TYPES.recorded,
            expectedSequence: (events.at(-1)?.sequence ?? 0) + 1,
            data: (sequence) => toEntry(decision, sequence),
          });
          return { entry: event.data, created: true };
        } catch (error) {
          // Another instance appended meanwhile: read again (it may even have been the same one-click).
          if (!(error instanceof ConcurrentModificationError)) throw error;
          await sleep(Math.random() * Math.min(50, 2 + attempt * 2));
        }
      }
      throw new ConcurrentModificationError();
    });
  }

  /**
   * Entries recorded against a customer id or any of that customer's e-mails or phones apply to the customer,
   * whichever identifier is asked about; a bare identifier of no customer stands for itself.
   */
  async scopeOf(subject: ConsentSubjectV1): Promise<SubjectScope> {
    const key = subjectKey(subject);
    const customer =
      subject.type === 'customer' ? await this.directory.findById(subject.key) : await this.directory.findOwnerOf(key);
    if (!customer || customer.erasedAt) return { subjectKeys: [key] };
    const own = `customer:${customer.customerId}`;
    return {
      subjectKeys: [...new Set([own, ...customer.subjects])],
      customerId: customer.customerId,
      language: customer.language,
    };
  }

  /** Every entry that applies to the subject, in order, and the effective state derived from them. */
  async view(subject: ConsentSubjectV1, now = Date.now()): Promise<LedgerView & { scope: SubjectScope }> {
    const scope = await this.scopeOf(subject);
    const perSubject = await Promise.all(scope.subjectKeys.map((key) => this.eventLog.history(TOPICS.consents, key)));
    const history = perSubject
      .flat()
      .filter((e) => e.type === CONSENT_EVENT_TYPES.recorded)
      .map((e) => e.data as LedgerEntry)
      .map((entry) => ({
        entry,
        at: Date.parse(entry.recordedAt),
        sequence: entry.sequence,
        key: subjectKey(entry.subject),
      }))
      .sort((a, b) => compareEntries(a, b) || a.key.localeCompare(b.key))
      .map(({ entry }) => entry);
    const current = deriveCurrent(
      history.map((e) => ({
        channel: e.channel,
        purpose: e.purpose,
        decision: e.decision,
        at: Date.parse(e.recordedAt),
        sequence: e.sequence,
        expiresAt: e.expiresAt === undefined ? undefined : Date.parse(e.expiresAt),
      })),
      now,
    );
    return { current, history, scope };
  }
}

function toEntry(decision: NewDecision, sequence: number): LedgerEntry {
  // Taken once the sequence is known (after the previous entry was read): time order then follows sequence order.
  const recordedAt = new Date().toISOString();
  const evidence: ConsentEvidenceV1 = { capturedBy: decision.evidence.capturedBy };
  if (decision.evidence.noticeVersion !== undefined) evidence.noticeVersion = decision.evidence.noticeVersion;
  if (decision.evidence.reference !== undefined) evidence.reference = decision.evidence.reference;
  if (decision.evidence.tokenId !== undefined) evidence.tokenId = decision.evidence.tokenId;
  return {
    entryId: randomUUID(),
    subject: { type: decision.subject.type, key: decision.subject.key },
    channel: decision.channel,
    purpose: decision.purpose,
    decision: decision.decision,
    recordedAt,
    ...(decision.expiresAt !== undefined ? { expiresAt: new Date(decision.expiresAt).toISOString() } : {}),
    source: decision.source,
    sequence,
    evidence,
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
