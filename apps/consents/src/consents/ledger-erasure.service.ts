import { HttpStatus, Injectable, Logger } from '@nestjs/common';
import {
  CloudEventV1,
  CONSENT_EVENT_TYPES,
  isEventOfType,
  ConsentLedgerErasedV1,
  ConsentSubjectV1,
  CustomerErasedV1,
  subjectKey,
  TOPICS,
} from '@kielto/contracts';
import { EventLog, ProblemException } from '@kielto/platform';
import { ConsentEvidenceRepository } from './consent-evidence.repository';
import { CustomerDirectoryRepository } from './customer-directory.repository';
import { SmsKeywordRepository } from './sms-keyword.repository';

/** What `eraseIdentifier` did: the subject key (`email:<hash>`), when, and how many records went. */
export interface IdentifierErasure {
  subject: string;
  erasedAt: string;
  /** Ledger entries, and SMS keywords sent from the number, deleted. */
  erased: number;
}

/**
 * On `customer erased`, the ledgers of the customer id and of every identifier the customer holds or held are
 * deleted — except the ledger of an identifier another (not erased) customer holds or held, whose entries may bind
 * that customer (R8, contract v1.1: erasing one customer never removes an entry that binds another).
 * Sequences of a subject must keep increasing (suppression orders by them), so for each subject a
 * `ledger-erased` marker is appended first — its sequence is the floor below which consumers drop the subject's
 * entries — and only then is everything below the marker deleted. The marker stays, holding no personal data.
 *
 * The marker of an identifier's ledger carries `tombstone` (R8: only keyed hashes are kept, so that refusals keep
 * being honoured): suppression then keeps the identifier's keyed hash as an erasure tombstone in place of the
 * refusals that went. The `customer erased` event makes tombstones of the identifiers held at the erasure only; an
 * identifier held before a rectification, that nobody holds now, would otherwise answer as if never refused — an
 * allow on phone and post (opt-out). A ledger kept because another customer holds or held the identifier gets no
 * marker, so that customer is never tombstoned by this erasure.
 *
 * Evidence-only records of the same people (SMS keywords, the free text of each entry) are deleted with them.
 *
 * Idempotent on redelivery: a subject already holding the marker of this erasure (same `erasedAt`) is not
 * marked again, only the deletion below it is repeated (a crash may have come between the two).
 */
@Injectable()
export class LedgerErasureService {
  private readonly logger = new Logger(LedgerErasureService.name);

  constructor(
    private readonly eventLog: EventLog,
    private readonly directory: CustomerDirectoryRepository,
    private readonly smsKeywords: SmsKeywordRepository,
    private readonly evidence: ConsentEvidenceRepository,
  ) {}

  async eraseCustomer(event: CloudEventV1<CustomerErasedV1>): Promise<void> {
    const { customerId, contactPoints, erasedAt } = event.data;
    const known = await this.directory.findById(customerId);
    if (known?.erasedAt && known.sequence >= event.sequence) return;
    const identifierKeys = [...contactPoints, ...(event.data.formerContactPoints ?? [])].map((cp) =>
      subjectKey({ type: cp.kind, key: cp.hash }),
    );
    const held = [...identifierKeys, ...(known?.holdings.map((h) => h.key) ?? [])];
    const keys = [...new Set([`customer:${customerId}`, ...held])];
    let erased = 0;
    for (const key of keys) {
      // R8: a ledger of an identifier that another customer holds or held may bind them: it stays in force.
      if (key.startsWith('customer:') || !(await this.directory.heldByAnother(key, customerId))) {
        erased += await this.eraseSubject(key, erasedAt);
      }
    }
    erased += await this.smsKeywords.deleteFor(keys);
    // Last: a crash before this line makes the redelivered event run the (idempotent) steps above again.
    const subjects = [...new Set(held)];
    await this.directory.markErased(customerId, event.sequence, subjects, new Date(erasedAt));
    this.logger.log({ customerId, subjects: keys.length, erased }, 'consent ledgers erased');
  }

  /**
   * Erases a bare identifier, a person who is not a customer (`DELETE /v1/subjects` on customers): its ledger and
   * evidence and the SMS keywords sent from it go. Its keyed hash stays as a tombstone (R8): the marker carries
   * `tombstone`, so suppression keeps suppressing what it refused (and everything else) until a grant recorded after
   * the erasure. Refused with 409 while a customer (not erased) holds or held the identifier: its entries may bind
   * that customer (R8), whose own erasure or rectification is the way. Nothing to erase is not an error.
   */
  async eraseIdentifier(subject: ConsentSubjectV1): Promise<IdentifierErasure> {
    const key = subjectKey(subject);
    if (await this.directory.heldByAnother(key, '')) {
      throw new ProblemException(
        HttpStatus.CONFLICT,
        'identifier-held',
        'A customer holds or held this identifier: its entries may bind that customer (R8). Erase or rectify the customer instead',
      );
    }
    const erasedAt = new Date().toISOString();
    const erased = (await this.eraseSubject(key, erasedAt)) + (await this.smsKeywords.deleteFor([key]));
    this.logger.log({ subject: key, erased }, 'identifier erased');
    return { subject: key, erasedAt, erased };
  }

  /** Marks a subject's ledger erased and deletes it; an identifier's keyed hash stays as a tombstone (R8). */
  private async eraseSubject(key: string, erasedAt: string): Promise<number> {
    const subject = subjectFromKey(key);
    const events = await this.eventLog.history(TOPICS.consents, key);
    const marker = events.find((e) => isEventOfType(e, CONSENT_EVENT_TYPES.erased) && e.data.erasedAt === erasedAt);
    if (!marker && !events.some((e) => e.type === CONSENT_EVENT_TYPES.recorded)) return 0;
    const floor =
      marker?.sequence ??
      (
        await this.eventLog.append<ConsentLedgerErasedV1>({
          topic: TOPICS.consents,
          aggregateId: key,
          type: CONSENT_EVENT_TYPES.erased,
          data: { subject, erasedAt, ...(subject.type === 'customer' ? {} : { tombstone: true }) },
        })
      ).sequence;
    // The evidence first: a crash before the entries go leaves them to find it again on redelivery.
    await this.evidence.delete(
      events.flatMap((e) =>
        isEventOfType(e, CONSENT_EVENT_TYPES.recorded) && e.sequence < floor ? [e.data.entryId] : [],
      ),
    );
    return this.eventLog.deleteBelow(TOPICS.consents, key, floor);
  }
}

function subjectFromKey(key: string): ConsentSubjectV1 {
  const colon = key.indexOf(':');
  return { type: key.slice(0, colon) as ConsentSubjectV1['type'], key: key.slice(colon + 1) };
}
