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
import { OptionalCustomerId, OptionalEmail, OptionalPhone } from '@kielto/platform';

export class ConsentEvidenceDto {
  @ApiPropertyOptional({ example: 'privacy-notice-2025-01' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  noticeVersion?: string;

  @ApiPropertyOptional({ description: 'Who captured the decision (defaults to the API key id)', example: 'agent-1234' })
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
export class RecordConsentDto {
  @OptionalCustomerId()
  customerId?: string;

  @OptionalEmail()
  email?: string;

  @OptionalPhone()
  phone?: string;

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
