import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayUnique,
  IsArray,
  IsIn,
  IsOptional,
  IsString,
  Length,
  MaxLength,
  ValidateBy,
  ValidateIf,
  ValidateNested,
  ValidationArguments,
} from 'class-validator';
import { POPULATION_REGISTER_BANS, Product, PRODUCTS } from '@kielto/contracts';
import { OptionalEmail, OptionalPhone } from '@kielto/platform';

const isProduct = (value: unknown): value is Product => PRODUCTS.includes(value as Product);

/** Why a products list is invalid, or undefined when it is valid. Linear in the list, however long it is sent. */
function productListProblem(value: unknown): string | undefined {
  if (!Array.isArray(value)) return 'products must be an array';
  const bad = value.findIndex((v) => !isProduct(v));
  if (bad >= 0) return `products[${bad}] must be one of ${PRODUCTS.join(', ')}`;
  if (new Set(value).size !== value.length) return 'products must name each product once';
  return undefined;
}

/**
 * `products`: the product categories the customer holds now (R10), each at most once. An unknown value is a 400
 * naming `products` and, in the message, the position of the first bad value (never the value itself).
 */
/**
 * DVV (population register) bans, as refreshed from the population information system (docs/CONTRACT.md §3.9):
 * `direct-marketing` stops post marketing; `safety` also keeps the customer out of every directory listing and
 * export and the address out of every event and answer except the customer's own export. Replaces the list.
 */
export const OptionalPopulationRegisterBans = () =>
  applyDecorators(
    ApiPropertyOptional({
      enum: POPULATION_REGISTER_BANS,
      isArray: true,
      uniqueItems: true,
      default: [],
      description:
        'DVV bans: direct-marketing (no post marketing), safety (turvakielto: also never listed, address only in the own export); replaces the list',
    }),
    ValidateIf((_: object, value: unknown) => value !== undefined),
    IsArray(),
    ArrayUnique(),
    IsIn(POPULATION_REGISTER_BANS, { each: true }),
  );

export const OptionalProducts = () =>
  applyDecorators(
    ApiPropertyOptional({
      enum: PRODUCTS,
      isArray: true,
      uniqueItems: true,
      default: [],
      example: ['mobile-subscription', 'fixed-broadband'],
      description:
        'Product categories the customer holds now (R10: telemarketing of mobile subscriptions); replaces the list as a whole',
    }),
    ValidateIf((_: object, value: unknown) => value !== undefined),
    ValidateBy({
      name: 'isProductList',
      validator: {
        validate: (value: unknown) => productListProblem(value) === undefined,
        defaultMessage: (args?: ValidationArguments) => productListProblem(args?.value) ?? 'products is invalid',
      },
    }),
  );

export class AddressDto {
  @ApiProperty({ example: 'Mannerheimintie 1 A 2' }) @IsString() @Length(1, 200) street!: string;
  @ApiProperty({ example: '00100' }) @IsString() @Length(1, 20) postalCode!: string;
  @ApiProperty({ example: 'Helsinki' }) @IsString() @Length(1, 100) city!: string;
  @ApiProperty({ example: 'FI' }) @IsString() @Length(1, 100) country!: string;
}

/** A named person at an organisation customer (R3: their address counts as a natural person's). */
export class ContactPersonDto {
  // No id here: the service keeps each person's id across rectifications (same e-mail, else phone, else name).
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
