import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsOptional,
  IsString,
  Length,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import {
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

/** Given = validated (null included); absent = unchanged. */
const Given = () => ValidateIf((_: object, value: unknown) => value !== undefined);

/**
 * Rectification: only the fields given change; arrays are replaced as a whole. `null` removes the optional
 * fields (identity code, business ID, address). The kind of a customer cannot change.
 */
export class UpdateCustomerDto {
  @ApiPropertyOptional() @Given() @IsString() @Length(1, 200) name?: string;

  @ApiPropertyOptional({ nullable: true }) @IsOptional() @IsString() @IsIdentityCode() personalIdentityCode?:
    | string
    | null;

  @ApiPropertyOptional({ nullable: true }) @IsOptional() @IsString() @IsBusinessId() businessId?: string | null;

  @ApiPropertyOptional({ enum: LANGUAGES }) @Given() @IsIn(LANGUAGES) language?: Language;

  @ApiPropertyOptional({ type: [String] })
  @Given()
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @IsNormalisableEmail({ each: true })
  emails?: string[];

  @ApiPropertyOptional({ type: [String] })
  @Given()
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @IsNormalisablePhone({ each: true })
  phones?: string[];

  @ApiPropertyOptional({ type: AddressDto, nullable: true })
  @IsOptional()
  @ValidateNested()
  @Type(() => AddressDto)
  address?: AddressDto | null;

  @ApiPropertyOptional({
    type: [ContactPersonDto],
    description:
      'Replaces the list. A person matched by the same e-mail, else phone, else name keeps their id; others get a new one',
  })
  @Given()
  @IsArray()
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  @Type(() => ContactPersonDto)
  contactPersons?: ContactPersonDto[];

  @ApiPropertyOptional({
    description: 'Turning it false sets relationshipEndedAt to now (R2); turning it true clears it',
  })
  @Given()
  @IsBoolean()
  activeContract?: boolean;

  @OptionalProducts() products?: Product[];

  @OptionalPopulationRegisterBans() populationRegisterBans?: PopulationRegisterBan[];
}
