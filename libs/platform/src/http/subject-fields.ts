import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, IsUUID, Length } from 'class-validator';
import { IsNormalisableEmail, IsNormalisablePhone, normaliseEmail, normalisePhone } from '@kielto/contracts';
import { FieldError, fieldProblem, ProblemException } from './problem';

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
/** The fields that name a bare identifier: a person who may be no customer (`/v1/subjects`). */
export const IDENTIFIER_FIELDS = ['email', 'phone'] as const;

/**
 * The one field a request names its subject by: exactly one of `fields` (customerId, email or phone unless told),
 * else a 400 problem naming the fields (all of them when none is given, the ones given when several are).
 */
export function subjectFieldOf<F extends SubjectField = SubjectField>(
  input: Partial<Record<SubjectField, string>>,
  fields: readonly F[] = SUBJECT_FIELDS as readonly SubjectField[] as readonly F[],
): F {
  const given = fields.filter((k) => input[k] !== undefined);
  if (given.length === 1) return given[0];
  const named = given.length === 0 ? fields : given;
  const message = `exactly one of ${fields.slice(0, -1).join(', ')} or ${fields.at(-1)} is required`;
  const errors: FieldError[] = named.map((field) => ({ field, message }));
  throw new ProblemException(400, 'validation', `Invalid request: ${named.join(', ')}`, errors);
}

/** A bare e-mail address or phone number, as a query names it (`?email=|phone=`): exactly one, normalised. */
export class IdentifierQueryDto {
  @OptionalEmail() email?: string;
  @OptionalPhone() phone?: string;
}

export interface BareIdentifier {
  kind: (typeof IDENTIFIER_FIELDS)[number];
  /** Normalised (docs/CONTRACT.md §3.1): e-mail trimmed and lower-cased, phone E.164. */
  value: string;
}

/** The identifier a query names, normalised; a 400 problem naming the field unless exactly one valid one is given. */
export function bareIdentifierOf(input: IdentifierQueryDto): BareIdentifier {
  const kind = subjectFieldOf(input, IDENTIFIER_FIELDS);
  const value = kind === 'email' ? normaliseEmail(input.email!) : normalisePhone(input.phone!);
  if (value === null)
    throw fieldProblem(
      kind,
      kind === 'email' ? 'email must be a valid e-mail address' : 'phone must be a valid phone number',
    );
  return { kind, value };
}
