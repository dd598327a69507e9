import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsString, Matches } from 'class-validator';
import { LEDGER_CHANNELS, LEDGER_PURPOSES, LedgerChannel, LedgerPurpose } from '@kielto/contracts';
import { SubjectDto } from '../../consents/dto/subject.dto';

/** A link for exactly one subject: a customer id, or a bare e-mail address or phone number. */
export class CreateUnsubscribeLinkDto extends SubjectDto {
  @ApiProperty({ enum: LEDGER_CHANNELS, description: 'What the one-click POST withdraws' })
  @IsIn(LEDGER_CHANNELS)
  channel!: LedgerChannel;

  @ApiProperty({ enum: LEDGER_PURPOSES })
  @IsIn(LEDGER_PURPOSES)
  purpose!: LedgerPurpose;

  @ApiProperty({ example: 'spring-offers-2025', description: 'Kept as the evidence reference of the withdrawal' })
  @IsString()
  @Matches(/^[^\p{Cc}]{1,100}$/u, { message: 'campaignId must be 1-100 characters without control characters' })
  campaignId!: string;
}

export class UnsubscribeLinkDto {
  @ApiProperty({ example: 'https://kielto.example.fi/u/eyJ2IjoxLC….Zm9v' }) url!: string;
  @ApiProperty() token!: string;
  @ApiProperty({
    format: 'date-time',
    description: 'The link does nothing after this instant (KIELTO_UNSUBSCRIBE_LINK_TTL_DAYS after it was made)',
  })
  expiresAt!: string;
  @ApiProperty({
    description: 'Headers to put on the message (RFC 2369, RFC 8058)',
    example: {
      'List-Unsubscribe': '<https://kielto.example.fi/u/…>',
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    },
  })
  headers!: { 'List-Unsubscribe': string; 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' };
}
