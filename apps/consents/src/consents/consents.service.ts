import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import {
  CONSENT_EVENT_TYPES,
  ConsentDecision,
  isEventOfType,
  ConsentEvidenceV1,
  ConsentRecordedV1,
  ConsentSubjectV1,
  bindsContactPerson,
  bindsHolder,
  CustomerKind,
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
  KeyedQueue,
  subjectFieldOf,
} from '@kielto/platform';
import { ConsentEvidenceRepository, PrivateEvidence } from './consent-evidence.repository';
import { CustomerDirectoryRepository, Holding } from './customer-directory.repository';
import { compareEntries, CurrentPermission, deriveCurrent } from './ledger-state';

/**
 * A ledger entry as the API shows it: the decision plus its evidence (R6). The event carries the decision and ids
 * only; `source` and the free text of the evidence are kept beside it (ConsentEvidenceRepository).
 */
export interface LedgerEntry extends ConsentRecordedV1 {
  source: string;
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
  /** ISO-8601; grants only, after `recordedAt` (checked by `assertExpiry`). */
  expiresAt?: string;
  /** An imported entry: when it was recorded in the legacy register (default: now) and its derived id. */
  recordedAt?: string;
  entryId?: string;
}

/** A decision as the API takes it (`POST /v1/consents`, and each line of the import). */
export interface DecisionInput {
  channel: LedgerChannel;
  purpose: LedgerPurpose;
  decision: ConsentDecision;
  source: string;
  expiresAt?: string;
  evidence?: { noticeVersion?: string; capturedBy?: string; reference?: string };
}

/**
 * The decision with its evidence (R6). Who captured it is always the API key and the request (a body can claim
 * anything: its `capturedBy` is kept apart, as `agent`); a grant or a lifted prohibition always names the privacy
 * notice the person was shown (`defaultNoticeVersion`, KIELTO_NOTICE_VERSION, unless the body does).
 */
export function decisionOf(
  subject: ConsentSubjectV1,
  input: DecisionInput,
  captured: { keyId: string; requestId: string; defaultNoticeVersion: string },
): NewDecision {
  const permits = input.decision === 'grant' || input.decision === 'lift-prohibition';
  return {
    subject,
    channel: input.channel,
    purpose: input.purpose,
    decision: input.decision,
    source: input.source,
    expiresAt: input.expiresAt,
    evidence: {
      noticeVersion: input.evidence?.noticeVersion ?? (permits ? captured.defaultNoticeVersion : undefined),
      capturedBy: captured.keyId,
      requestId: captured.requestId,
      agent: input.evidence?.capturedBy,
      reference: input.evidence?.reference,
    },
  };
}

/** Whom a request is about: exactly one of these. */
export interface SubjectInput {
  customerId?: string;
  email?: string;
  phone?: string;
}

/**
 * A ledger whose entries may bind the subject, and which of them do: those recorded while the subject held the
 * identifier or refusals recorded before (`from`, `until`: `bindsHolder`), and — from an organisation's ledger
 * for one of its contact persons — everything but grants (`bindsContactPerson`).
 */
export interface ScopeSource {
  key: string;
  from: number;
  until: number;
  grants: boolean;
}

/** Whom a subject stands for (docs/CONTRACT.md §3.6 "Who an entry binds"), and the customer's language. */
export interface SubjectScope {
  sources: ScopeSource[];
  /** The ledgers of `sources`, once each. */
  subjectKeys: string[];
  customerId?: string;
  /** Set when the subject found is a contact person of the organisation `customerId` (R3). */
  contactPerson?: string;
  kind?: CustomerKind;
  activeContract?: boolean;
  language?: Language;
}

/** Evidence fields the event carries when given: ids the system made, no free text. */
const EVENT_EVIDENCE = ['tokenId', 'linkKeyId', 'requestId'] as const;
/** Evidence fields in the caller's words: kept in this database only (ConsentEvidenceDoc). */
const PRIVATE_EVIDENCE = ['noticeVersion', 'reference', 'agent'] as const;
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
    private readonly evidence: ConsentEvidenceRepository,
  ) {}

  /** The subject of a request; a 400 problem naming the fields unless exactly one identifier is given. */
  subjectOf(input: SubjectInput): ConsentSubjectV1 {
    if (subjectFieldOf(input) === 'customerId') return { type: 'customer', key: input.customerId! };
    if (input.email !== undefined) {
      const email = normaliseEmail(input.email);
      if (email === null) throw fieldProblem('email', 'email must be a valid e-mail address');
      return { type: 'email', key: this.hasher.hash(email) };
    }
    const phone = normalisePhone(input.phone!);
    if (phone === null) throw fieldProblem('phone', 'phone must be a valid phone number');
    return { type: 'phone', key: this.hasher.hash(phone) };
  }

  /** expiresAt applies to grants only and must lie after the entry is recorded (now, or an imported recordedAt). */
  assertExpiry(decision: ConsentDecision, expiresAt: string | undefined, now = Date.now()): void {
    const [broken] = expiryErrors(decision, expiresAt, now);
    if (broken) throw fieldProblem(broken.field, broken.message);
  }

  /**
   * Appends a decision. `newSubject`: the caller believes the subject has no entries yet (an import's first entry
   * of it), which spares the append its read of the log; should it be wrong, the log's unique index decides and the
   * append reads and retries.
   */
  async record(decision: NewDecision, newSubject = false): Promise<LedgerEntry> {
    const [entry] = await this.appends.run(subjectKey(decision.subject), () =>
      this.recordMany([{ decision, newSubject }]),
    );
    return entry;
  }

  /**
   * Appends many decisions (a bulk import; `record` is this with one, taking its turn among the subject's appends in
   * this process): each as `record` appends it, their evidence and events in few writes and one wait for Kafka. A
   * subject's decisions are appended in the order given. Fails with the first failure once all were attempted.
   */
  async recordMany(items: readonly { decision: NewDecision; newSubject?: boolean }[]): Promise<LedgerEntry[]> {
    for (const { decision } of items)
      this.assertExpiry(
        decision.decision,
        decision.expiresAt,
        decision.recordedAt ? Date.parse(decision.recordedAt) : Date.now(),
      );
    const entries = items.map(({ decision }) => ({
      decision,
      entryId: decision.entryId ?? randomUUID(),
      evidence: privateEvidenceOf(decision),
    }));
    // Before the entries, so that an entry never lacks its evidence (R6); a failed append may leave it unreferenced.
    await this.evidence.saveMany(entries);
    const appended = await this.eventLog.appendMany<ConsentRecordedV1>(
      entries.map(({ decision, entryId }, i) => ({
        topic: TOPICS.consents,
        aggregateId: subjectKey(decision.subject),
        newAggregate: items[i].newSubject ?? false,
        type: CONSENT_EVENT_TYPES.recorded,
        data: (sequence: number) => toEntry(decision, sequence, entryId),
      })),
    );
    return appended.map((outcome, i) => {
      if (!outcome.ok) throw outcome.error;
      return withEvidence(outcome.event.data, entries[i].evidence);
    });
  }

  /** The ids of the entries the subject's ledger holds (reads the ledger: for retries of an interrupted import). */
  async entryIds(subject: ConsentSubjectV1): Promise<Set<string>> {
    const events = await this.eventLog.history(TOPICS.consents, subjectKey(subject));
    return new Set(events.flatMap((e) => (isEventOfType(e, CONSENT_EVENT_TYPES.recorded) ? [e.data.entryId] : [])));
  }

  /** Returns once the subject's entries are on Kafka (for an import's retry that found them stored). */
  ensurePublished(subject: ConsentSubjectV1): Promise<void> {
    return this.eventLog.ensurePublished(TOPICS.consents, subjectKey(subject));
  }

  /**
   * Appends a decision made through an unsubscribe link (`evidence.tokenId`) unless it would change nothing: when,
   * among every entry that applies to the subject, the latest one of the same kind (grant/withdraw or
   * prohibit/lift) sharing a channel and a purpose with it is this link's own identical decision (a repeated
   * one-click POST, a resubmitted form). Each (channel, purpose) it covers is then already decided by that entry.
   * A later entry that overlaps it (a staff grant, say) makes the link's next use count again. The check and the
   * append are one step: the append demands the sequence that follows what was read, so a concurrent duplicate
   * makes it read again instead of landing twice.
   */
  async recordOnce(
    decision: NewDecision & { evidence: { tokenId: string } },
  ): Promise<{ entry: LedgerEntry; created: boolean }> {
    const aggregateId = subjectKey(decision.subject);
    const { subjectKeys } = await this.scopeOf(decision.subject);
    const others = await this.eventLog.histories(
      TOPICS.consents,
      subjectKeys.filter((key) => key !== aggregateId),
    );
    const entryId = decision.entryId ?? randomUUID();
    const evidence = privateEvidenceOf(decision);
    return this.appends.run(aggregateId, async () => {
      for (let attempt = 0; attempt < ONCE_ATTEMPTS; attempt++) {
        const events = await this.eventLog.history(TOPICS.consents, aggregateId);
        const latest = latestOverlapping([...others.flat(), ...events], decision);
        if (latest && isSameLinkDecision(latest, decision)) {
          // Recorded by an earlier attempt, whose answer may have been lost: answer once it is on Kafka. This
          // attempt's entry id was never appended, so its evidence (if saved by a lost race) goes.
          await this.evidence.delete([entryId]);
          await this.eventLog.ensurePublished(TOPICS.consents, subjectKey(latest.subject));
          return { entry: (await this.withStoredEvidence([latest]))[0], created: false };
        }
        try {
          await this.evidence.save(entryId, evidence);
          const event = await this.eventLog.append<ConsentRecordedV1>({
            topic: TOPICS.consents,
            aggregateId,
            type: CONSENT_EVENT_TYPES.recorded,
            expectedSequence: (events.at(-1)?.sequence ?? 0) + 1,
            data: (sequence) => toEntry(decision, sequence, entryId),
          });
          return { entry: withEvidence(event.data, evidence), created: true };
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
   * The subject found (docs/CONTRACT.md §3.6): the customer of a customer id or of its own identifier, the contact
   * person whose identifier it is, or the bare identifier when nobody holds it.
   */
  async scopeOf(subject: ConsentSubjectV1): Promise<SubjectScope> {
    const key = subjectKey(subject);
    const customer =
      subject.type === 'customer' ? await this.directory.findById(subject.key) : await this.directory.findOwnerOf(key);
    if (!customer || customer.erasedAt) {
      return { sources: [{ key, from: 0, until: Infinity, grants: true }], subjectKeys: [key] };
    }
    const held = customer.holdings.filter((h) => h.key === key && h.until === undefined);
    const person = subject.type === 'customer' || held.some((h) => h.owner === 'own') ? undefined : held[0]?.person;
    const holder = (h: Holding) =>
      person === undefined ? h.owner === 'own' : h.owner === 'contact-person' && h.person === person;
    const sources: ScopeSource[] = [
      { key: `customer:${customer.customerId}`, from: 0, until: Infinity, grants: person === undefined },
      ...customer.holdings
        .filter(holder)
        .map((h) => ({ key: h.key, from: h.from, until: h.until ?? Infinity, grants: true })),
    ];
    return {
      sources,
      subjectKeys: [...new Set(sources.map((source) => source.key))],
      customerId: customer.customerId,
      ...(person !== undefined ? { contactPerson: person } : {}),
      ...(customer.kind ? { kind: customer.kind } : {}),
      ...(customer.activeContract !== undefined ? { activeContract: customer.activeContract } : {}),
      ...(customer.language ? { language: customer.language } : {}),
    };
  }

  /** Every entry that applies to the subject, in order, and the effective state derived from them. */
  async view(subject: ConsentSubjectV1, now = Date.now()): Promise<LedgerView & { scope: SubjectScope }> {
    const scope = await this.scopeOf(subject);
    const read = await this.eventLog.histories(TOPICS.consents, scope.subjectKeys);
    const histories = new Map(scope.subjectKeys.map((key, i) => [key, read[i]]));
    const binds = (source: ScopeSource, entry: ConsentRecordedV1) => {
      const view = { at: Date.parse(entry.recordedAt), decision: entry.decision };
      return bindsHolder(view, source.from, source.until) && (source.grants || bindsContactPerson(view));
    };
    const bound = scope.sources
      .flatMap((source) =>
        histories
          .get(source.key)!
          .filter((e) => isEventOfType(e, CONSENT_EVENT_TYPES.recorded))
          .map((e) => e.data)
          .filter((entry) => binds(source, entry)),
      )
      .map((entry) => ({
        entry,
        at: Date.parse(entry.recordedAt),
        sequence: entry.sequence,
        key: subjectKey(entry.subject),
      }))
      .sort((a, b) => compareEntries(a, b) || a.key.localeCompare(b.key))
      .map(({ entry }) => entry);
    const history = await this.withStoredEvidence(bound);
    const derived = deriveCurrent(
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
    // R2: own marketing by e-mail/SMS to an active customer (a person, not a contact person) who has not refused.
    const softOptIn = scope.kind === 'person' && scope.contactPerson === undefined && scope.activeContract === true;
    const current = derived.map((row) =>
      softOptIn &&
      row.purpose === 'own-marketing' &&
      (row.channel === 'email' || row.channel === 'sms') &&
      (row.consent === 'none' || row.consent === 'expired') &&
      !row.prohibited
        ? { ...row, allowedByRelationship: true as const }
        : row,
    );
    return { current, history, scope };
  }

  /** Entries with the evidence kept beside them (entries from before it was kept apart carry their own). */
  private async withStoredEvidence(entries: ConsentRecordedV1[]): Promise<LedgerEntry[]> {
    const stored = await this.evidence.find(entries.map((e) => e.entryId));
    return entries.map((entry) => withEvidence(entry, stored.get(entry.entryId)));
  }
}

/** The expiry rule of every decision: grants only, after the entry is recorded. */
export function expiryErrors(
  decision: ConsentDecision,
  expiresAt: string | undefined,
  recordedAt: number,
): FieldError[] {
  if (expiresAt === undefined) return [];
  if (decision !== 'grant') return [{ field: 'expiresAt', message: 'expiresAt applies to grants only' }];
  if (Date.parse(expiresAt) <= recordedAt) return [{ field: 'expiresAt', message: 'expiresAt must be in the future' }];
  return [];
}

/** The entry as the event carries it: the decision and ids, no free text (GDPR Art 17 must reach Kafka too). */
function toEntry(decision: NewDecision, sequence: number, entryId: string): ConsentRecordedV1 {
  // Taken once the sequence is known (after the previous entry was read): time order then follows sequence order.
  // An imported entry keeps the time the legacy register recorded it.
  const recordedAt = decision.recordedAt ?? new Date().toISOString();
  const evidence: ConsentEvidenceV1 = { capturedBy: decision.evidence.capturedBy };
  for (const field of EVENT_EVIDENCE) {
    if (decision.evidence[field] !== undefined) evidence[field] = decision.evidence[field];
  }
  return {
    entryId,
    subject: { type: decision.subject.type, key: decision.subject.key },
    channel: decision.channel,
    purpose: decision.purpose,
    decision: decision.decision,
    recordedAt,
    ...(decision.expiresAt !== undefined ? { expiresAt: new Date(decision.expiresAt).toISOString() } : {}),
    sequence,
    evidence,
  };
}

function privateEvidenceOf(decision: NewDecision): PrivateEvidence {
  const evidence: PrivateEvidence = { source: decision.source };
  for (const field of PRIVATE_EVIDENCE) {
    if (decision.evidence[field] !== undefined) evidence[field] = decision.evidence[field];
  }
  return evidence;
}

/** The entry as the API shows it. An entry published before evidence was kept apart has its own `source`. */
function withEvidence(entry: ConsentRecordedV1, stored: PrivateEvidence | undefined): LedgerEntry {
  const { source, ...words } = stored ?? { source: entry.source ?? '' };
  return { ...entry, source, evidence: { ...entry.evidence!, ...words } };
}

const CONSENT_KIND: ReadonlySet<ConsentDecision> = new Set(['grant', 'withdraw']);

/** The latest recorded entry of the decision's kind that shares at least one channel and one purpose with it. */
function latestOverlapping(
  events: readonly { type: string; data: unknown }[],
  decision: NewDecision,
): ConsentRecordedV1 | undefined {
  const overlaps = (a: string, b: string) => a === b || a === 'all' || b === 'all';
  let latest: ConsentRecordedV1 | undefined;
  let latestAt = -Infinity;
  for (const event of events) {
    if (!isEventOfType(event, CONSENT_EVENT_TYPES.recorded)) continue;
    const entry = event.data;
    if (CONSENT_KIND.has(entry.decision) !== CONSENT_KIND.has(decision.decision)) continue;
    if (!overlaps(entry.channel, decision.channel) || !overlaps(entry.purpose, decision.purpose)) continue;
    const at = Date.parse(entry.recordedAt);
    if (!latest || compareEntries({ at, sequence: entry.sequence }, { at: latestAt, sequence: latest.sequence }) > 0) {
      latest = entry;
      latestAt = at;
    }
  }
  return latest;
}

function isSameLinkDecision(
  entry: ConsentRecordedV1,
  decision: NewDecision & { evidence: { tokenId: string } },
): boolean {
  return (
    entry.evidence?.tokenId === decision.evidence.tokenId &&
    entry.channel === decision.channel &&
    entry.purpose === decision.purpose &&
    entry.decision === decision.decision
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
