import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString } from 'class-validator';
import {
  IsNormalisableEmail,
  IsNormalisablePhone,
  LEDGER_CHANNELS,
  LedgerChannel,
  SUPPRESSION_ENTRY_REASONS,
  SuppressionEntryReason,
} from '@kielto/contracts';
import { OptionalEmail, OptionalPhone } from '@kielto/platform';

/** One staff entry for exactly one identifier. Only its keyed hash is stored. */
export class CreateEntryDto {
  @OptionalEmail('matti@example.fi')
  email?: string;

  @OptionalPhone()
  phone?: string;

  @ApiProperty({ enum: LEDGER_CHANNELS, description: 'bounce and complaint: email or all' })
  @IsIn(LEDGER_CHANNELS)
  channel!: LedgerChannel;

  @ApiProperty({ enum: SUPPRESSION_ENTRY_REASONS })
  @IsIn(SUPPRESSION_ENTRY_REASONS)
  reason!: SuppressionEntryReason;
}

/** GET /v1/suppression/entries: exactly one of them. */
export class EntryQueryDto {
  @ApiPropertyOptional({ description: 'every entry of every identifier of the customer' })
  @IsOptional()
  @IsString()
  customerId?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @IsNormalisableEmail()
  email?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @IsNormalisablePhone()
  phone?: string;
}
