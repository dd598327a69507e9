import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, Matches } from 'class-validator';
import { Channel, CHANNELS, IsNormalisableEmail, IsNormalisablePhone, Purpose, PURPOSES } from '@kielto/contracts';

const HEX64 = /^[0-9a-f]{64}$/;

/** A contact to check: exactly one identifier. Partners may use only the hashed ones. */
export class ContactDto {
  @ApiPropertyOptional({ example: 'matti@example.fi' })
  @IsOptional() @IsString() @IsNormalisableEmail() email?: string;

  @ApiPropertyOptional({ example: '+358401234567' })
  @IsOptional() @IsString() @IsNormalisablePhone() phone?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional() @IsUUID() customerId?: string;

  @ApiPropertyOptional({ description: 'HMAC-SHA256 hex of the normalised e-mail with the partner hash key' })
  @IsOptional() @Matches(HEX64, { message: 'emailHash must be 64 lower-case hex characters' }) emailHash?: string;

  @ApiPropertyOptional({ description: 'HMAC-SHA256 hex of the E.164 phone number with the partner hash key' })
  @IsOptional() @Matches(HEX64, { message: 'phoneHash must be 64 lower-case hex characters' }) phoneHash?: string;
}

export class CheckQueryDto extends ContactDto {
  @ApiProperty({ enum: CHANNELS })
  @IsIn(CHANNELS) channel!: Channel;

  @ApiProperty({ enum: PURPOSES })
  @IsIn(PURPOSES) purpose!: Purpose;
}
