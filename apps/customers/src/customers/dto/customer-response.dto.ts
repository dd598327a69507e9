import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { CUSTOMER_KINDS, LANGUAGES, POPULATION_REGISTER_BANS, PRODUCTS } from '@kielto/contracts';
import { AddressDto } from './customer-parts.dto';

/*
 * The documented shape of `CustomerView` (customer-mapping.ts), for the OpenAPI document only: responses are
 * built by `toView`, never by these classes.
 */

export class ContactPersonResponseDto {
  @ApiProperty({
    format: 'uuid',
    description:
      'Stable id of the contact person (R3: a subject of their own). Kept when a rectification keeps the person ' +
      '(same e-mail, else same phone, else same name); customer events carry it as `person` on their contact points',
  })
  id!: string;

  @ApiProperty({ example: 'Maija Meikäläinen' }) name!: string;
  @ApiPropertyOptional({ example: 'maija@yritys.fi' }) email?: string;
  @ApiPropertyOptional({ example: '+358401234567' }) phone?: string;
  @ApiPropertyOptional({ example: 'IT manager' }) title?: string;
  @ApiPropertyOptional({ type: AddressDto }) address?: AddressDto;
}

export class RestrictionResponseDto {
  @ApiProperty({ format: 'date-time' }) since!: string;
  @ApiProperty() reason!: string;
}

export class RestrictionActionResponseDto {
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty({ enum: ['restricted', 'lifted'] }) action!: string;
  @ApiProperty({ description: 'Id of the API key that acted' }) actor!: string;
  @ApiPropertyOptional() reason?: string;
}

export class RectificationResponseDto {
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty({ description: 'Id of the API key that acted' }) actor!: string;
  @ApiProperty({ type: [String], description: 'Names of the fields that changed, never their values' })
  fields!: string[];
}

export class LegalHoldResponseDto {
  @ApiProperty({ format: 'date-time' }) since!: string;
  @ApiProperty() reason!: string;
  @ApiProperty({ description: 'Id of the API key that placed it' }) by!: string;
  @ApiPropertyOptional({ format: 'date-time', description: 'The hold ends by itself then' }) until?: string;
}

export class LegalHoldActionResponseDto {
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty({ enum: ['placed', 'released'] }) action!: string;
  @ApiProperty({ description: 'Id of the API key that acted' }) actor!: string;
  @ApiPropertyOptional() reason?: string;
  @ApiPropertyOptional({ format: 'date-time' }) until?: string;
}

export class CustomerResponseDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'K40512738' }) customerNumber!: string;
  @ApiProperty({ enum: CUSTOMER_KINDS }) kind!: string;
  @ApiProperty({ example: 'Matti Meikäläinen' }) name!: string;

  @ApiPropertyOptional({ description: 'Masked: only the check character shows', example: '**********T' })
  personalIdentityCode?: string;

  @ApiPropertyOptional({ example: '0112038-9' }) businessId?: string;
  @ApiProperty({ enum: LANGUAGES }) language!: string;
  @ApiProperty({ type: [String], description: 'Normalised (trimmed, lower-case)' }) emails!: string[];
  @ApiProperty({ type: [String], description: 'E.164' }) phones!: string[];
  @ApiPropertyOptional({ type: AddressDto }) address?: AddressDto;
  @ApiProperty({ type: [ContactPersonResponseDto] }) contactPersons!: ContactPersonResponseDto[];
  @ApiProperty() activeContract!: boolean;

  @ApiPropertyOptional({
    format: 'date-time',
    description:
      'When activeContract last turned false (R2); absent while the relationship is active and for a prospect ' +
      'who never had a contract',
  })
  relationshipEndedAt?: string;

  @ApiProperty({
    enum: PRODUCTS,
    isArray: true,
    description: 'Product categories the customer holds now (R10); empty when none',
  })
  products!: string[];

  @ApiPropertyOptional({
    enum: POPULATION_REGISTER_BANS,
    isArray: true,
    description: 'DVV bans (§3.9); with `safety` the address is absent from this answer (only the own export shows it)',
  })
  populationRegisterBans?: string[];

  @ApiProperty({ description: 'Processing is restricted (GDPR Art 18): no marketing, rectification still allowed' })
  restricted!: boolean;

  @ApiPropertyOptional({ type: RestrictionResponseDto }) restriction?: RestrictionResponseDto;
  @ApiProperty({ type: [RestrictionActionResponseDto] }) restrictionHistory!: RestrictionActionResponseDto[];
  @ApiProperty({ type: [RectificationResponseDto] }) rectifications!: RectificationResponseDto[];

  @ApiPropertyOptional({
    type: LegalHoldResponseDto,
    description: 'The legal hold, while placed (erasure is refused while it is in force: until absent or ahead)',
  })
  legalHold?: LegalHoldResponseDto;

  @ApiProperty({ type: [LegalHoldActionResponseDto] }) legalHoldHistory!: LegalHoldActionResponseDto[];
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
  @ApiProperty({ description: 'The sequence of the customer’s newest event' }) version!: number;
}
