import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, IsUUID, Length } from 'class-validator';
import { IsNormalisableEmail, IsNormalisablePhone } from '@kielto/contracts';

/**
 * The optional identifiers a request names its subject by, validated alike everywhere: an e-mail address and a phone
 * number must normalise (docs/CONTRACT.md §3.1), a customer id is a UUID. Which combination is required is the DTO's rule.
 */
export const OptionalEmail = (example = 'matti.meikalainen@example.fi') =>
  applyDecorators(ApiPropertyOptional({ example }), IsOptional(), IsString(), IsNormalisableEmail());

export const OptionalPhone = (example = '+358401234567') =>
  applyDecorators(ApiPropertyOptional({ example }), IsOptional(), IsString(), IsNormalisablePhone());

export const OptionalCustomerId = () =>
  applyDecorators(ApiPropertyOptional({ format: 'uuid' }), IsOptional(), IsUUID());

/** A customer named by the legacy-register key it was imported under (`ref` of `POST /v1/customers/import`). */
export const OptionalCustomerRef = () =>
  applyDecorators(
    ApiPropertyOptional({
      description: 'The legacy-register key (`ref`) of a customer imported with `POST /v1/customers/import`',
      example: 'legacy-000123',
    }),
    IsOptional(),
    IsString(),
    Length(1, 100),
  );
