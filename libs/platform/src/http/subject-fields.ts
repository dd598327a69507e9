import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, IsUUID, Length } from 'class-validator';
import { IsNormalisableEmail, IsNormalisablePhone } from '@kielto/contracts';
import { FieldError, ProblemException } from './problem';

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
const SUBJECT_FIELDS = ['customerId', 'email', 'phone'] as const;
export type SubjectField = (typeof SUBJECT_FIELDS)[number];

/**
 * The one field a request names its subject by: exactly one of customerId, email or phone, else a 400 problem
 * naming the fields (all three when none is given, the ones given when several are).
 */
export function subjectFieldOf(input: Partial<Record<SubjectField, string>>): SubjectField {
  const given = SUBJECT_FIELDS.filter((k) => input[k] !== undefined);
  if (given.length === 1) return given[0];
  const fields = given.length === 0 ? SUBJECT_FIELDS : given;
  const message = 'exactly one of customerId, email or phone is required';
  const errors: FieldError[] = fields.map((field) => ({ field, message }));
  throw new ProblemException(400, 'validation', `Invalid request: ${fields.join(', ')}`, errors);
}
