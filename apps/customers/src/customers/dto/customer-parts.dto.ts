import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayUnique,
  IsArray,
  IsOptional,
  IsString,
  Length,
  MaxLength,
  ValidateBy,
  ValidateIf,
  ValidateNested,
  ValidationArguments,
} from 'class-validator';
import { Product, PRODUCTS } from '@kielto/contracts';
import { OptionalEmail, OptionalPhone } from '@kielto/platform';

const isProduct = (value: unknown): value is Product => PRODUCTS.includes(value as Product);

/**
 * `products`: the product categories the customer holds now (R10), each at most once. An unknown value is a 400
 * naming `products` and, in the message, the position of the first bad value (never the value itself).
 */
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
    IsArray(),
    ValidateBy({
      name: 'isProductList',
      validator: {
        validate: (value: unknown) => Array.isArray(value) && value.every(isProduct),
        defaultMessage: (args?: ValidationArguments) => {
          const values = Array.isArray(args?.value) ? (args.value as unknown[]) : [];
          const at = Math.max(
            0,
            values.findIndex((v) => !isProduct(v)),
          );
          return `products[${at}] must be one of ${PRODUCTS.join(', ')}`;
        },
      },
    }),
    ArrayUnique(undefined, { message: 'products must not name a product twice' }),
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
