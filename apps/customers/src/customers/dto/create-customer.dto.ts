import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsOptional, IsString, Length, ValidateNested } from 'class-validator';
import {
  CUSTOMER_KINDS,
  CustomerKind,
  IsBusinessId,
  IsIdentityCode,
  IsNormalisableEmail,
  IsNormalisablePhone,
  Language,
  LANGUAGES,
  PopulationRegisterBan,
  Product,
} from '@kielto/contracts';
import { AddressDto, ContactPersonDto, OptionalPopulationRegisterBans, OptionalProducts } from './customer-parts.dto';

export class CreateCustomerDto {
  @ApiProperty({ enum: CUSTOMER_KINDS }) @IsIn(CUSTOMER_KINDS) kind!: CustomerKind;

  @ApiProperty({ example: 'Matti Meikäläinen' }) @IsString() @Length(1, 200) name!: string;

  @ApiPropertyOptional({
    description: 'Persons only. Stored encrypted; never returned in full except in the export',
    example: '131052-308T',
  })
  @IsOptional()
  @IsString()
  @IsIdentityCode()
  personalIdentityCode?: string;

  @ApiPropertyOptional({ description: 'Organisations only (Y-tunnus)', example: '0112038-9' })
  @IsOptional()
  @IsString()
  @IsBusinessId()
  businessId?: string;

  @ApiPropertyOptional({ enum: LANGUAGES, default: 'fi' }) @IsOptional() @IsIn(LANGUAGES) language?: Language;

  @ApiPropertyOptional({ type: [String], example: ['matti@example.fi'] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @IsNormalisableEmail({ each: true })
  emails?: string[];

  @ApiPropertyOptional({ type: [String], example: ['040 123 4567'] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @IsNormalisablePhone({ each: true })
  phones?: string[];

  @ApiPropertyOptional({ type: AddressDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => AddressDto)
  address?: AddressDto;

  @ApiPropertyOptional({
    type: [ContactPersonDto],
    description: 'Organisations only; each person gets a stable id (R3: a subject of their own)',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  @Type(() => ContactPersonDto)
  contactPersons?: ContactPersonDto[];

  @ApiPropertyOptional({
    default: false,
    description:
      'An active customer relationship. Created false, the customer is a prospect: not active and without relationshipEndedAt',
  })
  @IsOptional()
  @IsBoolean()
  activeContract?: boolean;

  @OptionalProducts() products?: Product[];

  @OptionalPopulationRegisterBans() populationRegisterBans?: PopulationRegisterBan[];
}
