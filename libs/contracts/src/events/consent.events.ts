import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  Matches,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import {
  CONSENT_DECISIONS,
  ConsentDecision,
  LEDGER_CHANNELS,
  LEDGER_PURPOSES,
  LedgerChannel,
  LedgerPurpose,
} from '../enums';

/**
 * Whom a ledger entry is about: a customer id, or a bare e-mail/phone given as its keyed hash so that no
 * identifier travels in clear. The Kafka key is `subjectKey(subject)`.
 */
export class ConsentSubjectV1 {
  @IsIn(['customer', 'email', 'phone'])
  type!: 'customer' | 'email' | 'phone';

  /** Customer id, or the HMAC-SHA256 hex of the normalised identifier. */
  @IsString()
  @MinLength(1)
  @Matches(/^[A-Za-z0-9_-]+$/)
  key!: string;
}

/**
 * Proof of a decision (GDPR Art 7(1)): how and by whom it was captured. Carries no identifiers in clear. Events carry
 * only the ids the system made (capturedBy, tokenId, linkKeyId, requestId); noticeVersion, reference and agent are
 * the caller's words, kept in the consents database (shown by GET /v1/consents) and present only in older events.
 */
export class ConsentEvidenceV1 {
  /** Version of the privacy notice the person was shown; always set on grants and lifts recorded by staff. */
  @IsOptional() @IsString() noticeVersion?: string;
  /** The API key id, or `self-service` / `sms-gateway` for decisions people made themselves. */
  @IsString() @MinLength(1) capturedBy!: string;
  /** e.g. a ticket number, or the campaign id of an unsubscribe link. */
  @IsOptional() @IsString() reference?: string;
  /** Id of the unsubscribe token a self-service decision came with (makes a repeated identical one a no-op). */
  @IsOptional() @IsString() tokenId?: string;
  /** Key id of the API key that made the unsubscribe link a self-service decision came through. */
  @IsOptional() @IsString() linkKeyId?: string;
  /** Id of the HTTP request that recorded the decision (`x-request-id`: logs and the audit trail carry it too). */
  @IsOptional() @IsString() requestId?: string;
  /** Who the caller says captured it (e.g. an agent id from its own system): its word, beside the key id. */
  @IsOptional() @IsString() agent?: string;
}

export class ConsentRecordedV1 {
  @IsString() @MinLength(1) entryId!: string;
  @ValidateNested() @Type(() => ConsentSubjectV1) subject!: ConsentSubjectV1;
  @IsIn(LEDGER_CHANNELS) channel!: LedgerChannel;
  @IsIn(LEDGER_PURPOSES) purpose!: LedgerPurpose;
  @IsIn(CONSENT_DECISIONS) decision!: ConsentDecision;
  @IsISO8601({ strict: true }) recordedAt!: string;
  @IsOptional() @IsISO8601({ strict: true }) expiresAt?: string;
  /**
   * How the decision was captured, in the caller's words: only in events published before issue 16. It is free text,
   * so it stays in the consents database now (with the evidence's noticeVersion, reference and agent), which erasure
   * cleans; the consents topic keeps every event for ever.
   */
  @IsOptional() @IsString() source?: string;
  /** Position in the subject's ledger (same as the envelope sequence). */
  @IsInt() @Min(1) sequence!: number;
  @IsOptional() @ValidateNested() @Type(() => ConsentEvidenceV1) evidence?: ConsentEvidenceV1;
}

/**
 * The ledger of a subject was deleted (customer erased, or a bare identifier erased by `DELETE /v1/subjects`);
 * consumers drop what they hold for it. The envelope `sequence` of this event is the floor: every entry of the
 * subject below it is gone, later ones count again.
 */
export class ConsentLedgerErasedV1 {
  @ValidateNested() @Type(() => ConsentSubjectV1) subject!: ConsentSubjectV1;
  @IsISO8601({ strict: true }) erasedAt!: string;
  /**
   * The ledger of an identifier was erased (a person who is not a customer, `DELETE /v1/subjects`, or an identifier
   * of an erased customer, now or before a rectification, that no other customer holds or held): its keyed hash is
   * kept as an erasure tombstone (R8), so what it refused stays refused until a grant recorded after `erasedAt`.
   * Absent on the marker of a customer id's ledger.
   */
  @IsOptional() @IsBoolean() tombstone?: boolean;
}
