import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length, MaxLength } from 'class-validator';
import type { InboundSmsResult } from '../inbound-sms.service';

/** What an SMS gateway posts for a message sent to our number. */
export class InboundSmsDto {
  /** The sender: a phone number (alphanumeric sender ids are acknowledged but cannot opt out). */
  @ApiProperty({ example: '+358401234567' })
  @IsString()
  @Length(1, 64)
  from!: string;

  @ApiProperty({ example: 'STOP' })
  @IsString()
  @MaxLength(1600)
  text!: string;
}

export class InboundSmsResultDto {
  @ApiProperty({
    enum: ['withdrawn', 'recorded', 'ignored'],
    description: 'withdrawn: STOP took effect; recorded: START kept as evidence; ignored: no keyword',
  })
  status!: InboundSmsResult['status'];
}
