import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsISO8601, IsOptional, IsString, Length, MaxLength, ValidateNested } from 'class-validator';
import {
  CONSENT_DECISIONS,
  ConsentDecision,
  LEDGER_CHANNELS,
  LEDGER_PURPOSES,
  LedgerChannel,
  LedgerPurpose,
} from '@kielto/contracts';
import { SubjectDto } from './subject.dto';

export class ConsentEvidenceDto {
  @ApiPropertyOptional({
    example: 'privacy-notice-2025-01',
    description: 'Privacy notice the person was shown; grants and lifts default to KIELTO_NOTICE_VERSION',
  })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  noticeVersion?: string;

  @ApiPropertyOptional({
    description:
      "Who captured the decision in the caller's own terms (e.g. an agent id). Kept as `evidence.agent`, beside " +
      '`evidence.capturedBy`, which is always the API key id (and `evidence.requestId` the request)',
    example: 'agent-1234',
  })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  capturedBy?: string;

  @ApiPropertyOptional({ example: 'ticket-88213' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  reference?: string;
}

/** A decision for exactly one subject: a customer id, or a bare e-mail address or phone number. */
export class RecordConsentDto extends SubjectDto {
  @ApiProperty({ enum: LEDGER_CHANNELS })
  @IsIn(LEDGER_CHANNELS)
  channel!: LedgerChannel;

  @ApiProperty({ enum: LEDGER_PURPOSES })
  @IsIn(LEDGER_PURPOSES)
  purpose!: LedgerPurpose;

  @ApiProperty({ enum: CONSENT_DECISIONS })
  @IsIn(CONSENT_DECISIONS)
  decision!: ConsentDecision;

  @ApiProperty({ description: 'How the decision was captured', example: 'web-form' })
  @IsString()
  @Length(1, 100)
  source!: string;

  @ApiPropertyOptional({ type: ConsentEvidenceDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => ConsentEvidenceDto)
  evidence?: ConsentEvidenceDto;

  @ApiPropertyOptional({ format: 'date-time', description: 'Only for grants; must be in the future' })
  @IsOptional()
  @IsISO8601({ strict: true })
  expiresAt?: string;
}
