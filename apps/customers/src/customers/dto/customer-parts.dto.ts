import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsOptional, IsString, Length, MaxLength, ValidateNested } from 'class-validator';

import { OptionalEmail, OptionalPhone } from '@kielto/platform';

export class AddressDto {
  @ApiProperty({ example: 'Mannerheimintie 1 A 2' }) @IsString() @Length(1, 200) street!: string;
  @ApiProperty({ example: '00100' }) @IsString() @Length(1, 20) postalCode!: string;
  @ApiProperty({ example: 'Helsinki' }) @IsString() @Length(1, 100) city!: string;
  @ApiProperty({ example: 'FI' }) @IsString() @Length(1, 100) country!: string;
}

/** A named person at an organisation customer (R3: their address counts as a natural person's). */
export class ContactPersonDto {
  @ApiProperty({ example: 'Maija Meikäläinen' }) @IsString() @Length(1, 200) name!: string;

  @OptionalEmail('maija@yritys.fi')
  email?: string;

  @OptionalPhone()
  phone?: string;

  @ApiPropertyOptional({ example: 'IT manager' }) @IsOptional() @IsString() @MaxLength(100) title?: string;

  @ApiPropertyOptional({ type: AddressDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => AddressDto)
  address?: AddressDto;
}
