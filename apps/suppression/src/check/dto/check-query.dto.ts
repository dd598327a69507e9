import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  Channel,
  CHANNELS,
  PARTNER_OPT_OUT,
  Product,
  PRODUCTS,
  Purpose,
  PURPOSES,
  REASON_CODES,
  REGISTERS,
} from '@kielto/contracts';
import { MAX_REF_LENGTH } from '../contact-reader';

/*
 * OpenAPI shapes of the check routes. They document the API only: the hot paths validate by hand in
 * contact-reader.ts (class-validator on 10 000 nested objects costs more than deciding them), with the same
 * rules and field names.
 */

/** A contact to check: exactly one identifier. Partners may use only the hashed ones. */
export class ContactDto {
  @ApiPropertyOptional({
    description: `Echoed in the result (string of at most ${MAX_REF_LENGTH} characters, or a number)`,
  })
  ref?: string | number;

  @ApiPropertyOptional({ example: 'matti@example.fi' })
  email?: string;

  @ApiPropertyOptional({ example: '+358401234567' })
  phone?: string;

  @ApiPropertyOptional()
  customerId?: string;

  @ApiPropertyOptional({ description: 'HMAC-SHA256 hex of the normalised e-mail with the partner hash key' })
  emailHash?: string;

  @ApiPropertyOptional({ description: 'HMAC-SHA256 hex of the E.164 phone number with the partner hash key' })
  phoneHash?: string;

  @ApiPropertyOptional({
    example: 'Matti Virtanen',
    description: 'A postal identity is name, street and postalCode (city optional) together: one identifier (README)',
  })
  name?: string;

  @ApiPropertyOptional({ example: 'Hämeenkatu 3 as. 5' })
  street?: string;

  @ApiPropertyOptional({ example: '33100' })
  postalCode?: string;

  @ApiPropertyOptional({ example: 'Tampere', description: 'validated, not part of the identity' })
  city?: string;
}

export class BulkCheckDto {
  @ApiProperty({ enum: CHANNELS })
  channel!: Channel;

  @ApiProperty({ enum: PURPOSES })
  purpose!: Purpose;

  @ApiPropertyOptional({
    enum: PRODUCTS,
    description: 'The product marketed: `mobile-subscription` applies §201 of 917/2014 to phone calls (R10)',
  })
  product?: Product;

  @ApiProperty({ type: [ContactDto], maxItems: 10_000 })
  contacts!: ContactDto[];
}

export class ReasonDto {
  @ApiProperty({
    enum: [...REASON_CODES, PARTNER_OPT_OUT],
    description: `A partner key sees \`${PARTNER_OPT_OUT}\` (no rule, no source) in place of \`erased\`, \`processing-restricted\` and \`population-register-ban\` (R11)`,
  })
  code!: string;
  @ApiPropertyOptional({ example: 'R5', description: "absent in a partner's `opt-out`" }) rule?: string;
  @ApiPropertyOptional({ description: "absent in a partner's `opt-out`" }) source?: string;
  @ApiProperty({ nullable: true, type: String }) since!: string | null;
  @ApiPropertyOptional({
    enum: REGISTERS,
    description:
      "`robinson` from an outside register (docs/CONTRACT.md §3.9): which one; `since` is its row's first-seen date",
  })
  register?: string;
  @ApiPropertyOptional({ example: '2026-12-01', description: "the date of that register's snapshot in force" })
  registerDate?: string;
}

export class DecisionDto {
  @ApiProperty({ enum: ['allow', 'suppress'] }) decision!: string;
  @ApiProperty({ type: [ReasonDto] }) reasons!: ReasonDto[];
  @ApiProperty({ description: 'The answers include every source event published before this instant' }) asOf!: string;
}

export class BulkResultDto {
  @ApiProperty({ nullable: true }) ref!: string | number | null;
  @ApiProperty({ enum: ['allow', 'suppress'] }) decision!: string;
  @ApiProperty({ type: [ReasonDto] }) reasons!: ReasonDto[];
}

export class BulkCheckResponseDto {
  @ApiProperty({ type: [BulkResultDto] }) results!: BulkResultDto[];
  @ApiProperty() asOf!: string;
}
