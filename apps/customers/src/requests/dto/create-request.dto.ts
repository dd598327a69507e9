import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional, IsString, Length } from 'class-validator';
import { OptionalCustomerId, OptionalEmail, OptionalPhone } from '@kielto/platform';
import { REQUEST_CHANNELS, REQUEST_TYPES, RequestChannel, RequestType } from '@kielto/contracts';

/** A request as received: about exactly one of a customer, an e-mail address or a phone number. */
export class CreateRequestDto {
  @OptionalCustomerId() customerId?: string;
  @OptionalEmail() email?: string;
  @OptionalPhone() phone?: string;

  @ApiProperty({ enum: REQUEST_TYPES, description: 'The right exercised (GDPR Art 15-18, 20, 21)' })
  @IsIn(REQUEST_TYPES)
  type!: RequestType;

  @ApiProperty({ format: 'date-time', description: 'When the request reached the organisation (not in the future)' })
  @IsISO8601({ strict: true })
  receivedAt!: string;

  @ApiProperty({ enum: REQUEST_CHANNELS })
  @IsIn(REQUEST_CHANNELS)
  channel!: RequestChannel;

  @ApiPropertyOptional({ description: 'How the requester’s identity was verified', example: 'strong-electronic-id' })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  identityVerifiedBy?: string;
}
