import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length } from 'class-validator';
import { IsIdentityCode } from '@kielto/contracts';
import { OptionalEmail, OptionalPhone } from '@kielto/platform';

/** Exactly one of the three; matching is case- and format-insensitive. */
export class CustomerQueryDto {
  @OptionalEmail('Matti@Example.fi') email?: string;
  @OptionalPhone('040 123 4567') phone?: string;
  @ApiPropertyOptional({ example: 'K40512738' }) @IsOptional() @IsString() @Length(1, 20) customerNumber?: string;
}

/** Lookup by identity code: in a body, so the code never appears in a URL. */
export class IdentityCodeSearchDto {
  @ApiProperty({ example: '131052-308T' }) @IsString() @IsIdentityCode() personalIdentityCode!: string;
}
