import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import {
  CONSENT_EVENT_TYPES,
  ConsentRecordedV1,
  ConsentSubjectV1,
  normaliseEmail,
  normalisePhone,
  subjectKey,
  TOPICS,
} from '@kielto/contracts';
import { Actor, EventLog, fieldProblem, IdentifierHasher } from '@kielto/platform';
import { ConsentQueryDto } from './dto/consent-query.dto';
import { RecordConsentDto } from './dto/record-consent.dto';

export interface LedgerEntry extends ConsentRecordedV1 {
  evidence: { noticeVersion?: string; capturedBy: string; reference?: string };
}

/** The consent/prohibition ledger: append-only, one aggregate per subject, every entry with its evidence. */
@Injectable()
export class ConsentsService {
  constructor(
    private readonly eventLog: EventLog,
    private readonly hasher: IdentifierHasher,
  ) {}

  subjectOf(input: ConsentQueryDto): ConsentSubjectV1 {
    const given = (['customerId', 'email', 'phone'] as const).filter((k) => input[k] !== undefined);
    if (given.length !== 1) throw fieldProblem('customerId', 'exactly one of customerId, email or phone is required');
    if (input.customerId) return { type: 'customer', key: input.customerId };
    if (input.email) return { type: 'email', key: this.hasher.hash(normaliseEmail(input.email)!) };
    return { type: 'phone', key: this.hasher.hash(normalisePhone(input.phone!)!) };
  }

  async record(input: RecordConsentDto, actor: Actor): Promise<LedgerEntry> {
    const subject = this.subjectOf(input);
    const recordedAt = new Date();
    if (input.expiresAt !== undefined) {
      if (input.decision !== 'grant') throw fieldProblem('expiresAt', 'expiresAt applies to grants only');
      if (Date.parse(input.expiresAt) <= recordedAt.getTime()) throw fieldProblem('expiresAt', 'expiresAt must be in the future');
    }
    const event = await this.eventLog.append<LedgerEntry>({
      topic: TOPICS.consents,
      aggregateId: subjectKey(subject),
      type: CONSENT_EVENT_TYPES.recorded,
      time: recordedAt,
      data: (sequence) => ({
        entryId: randomUUID(),
        subject,
        channel: input.channel,
        purpose: input.purpose,
        decision: input.decision,
        recordedAt: recordedAt.toISOString(),
        ...(input.expiresAt ? { expiresAt: new Date(input.expiresAt).toISOString() } : {}),
        source: input.source,
        sequence,
        evidence: {
          noticeVersion: input.evidence?.noticeVersion,
          capturedBy: input.evidence?.capturedBy ?? actor.keyId,
          reference: input.evidence?.reference,
        },
      }),
    });
    return event.data;
  }

  async history(query: ConsentQueryDto): Promise<LedgerEntry[]> {
    const subject = this.subjectOf(query);
    const events = await this.eventLog.history(TOPICS.consents, subjectKey(subject));
    return events.map((e) => e.data as LedgerEntry);
  }
}
