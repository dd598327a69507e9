import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsISO8601,
  IsOptional,
  IsString,
  Matches,
  MinLength,
  ValidateNested,
  IsArray,
} from 'class-validator';
import {
  CUSTOMER_KINDS,
  CustomerKind,
  LANGUAGES,
  Language,
  POPULATION_REGISTER_BANS,
  PopulationRegisterBan,
  Product,
  PRODUCTS,
} from '../enums';

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * An identifier of the customer as a keyed hash (HMAC-SHA256 of the normalised value with the partner hash
 * key). E-mail addresses and identity codes never travel in clear; phone numbers appear in clear only in
 * `listing`, because directory outlets publish them (R9).
 */
export class ContactPointHashV1 {
  @IsIn(['email', 'phone'])
  kind!: 'email' | 'phone';

  @Matches(HEX64)
  hash!: string;

  /** `own` = the customer's own address/number; `contact-person` = a named person at an organisation (R3). */
  @IsIn(['own', 'contact-person'])
  owner!: 'own' | 'contact-person';

  /**
   * For `owner: contact-person`: the stable id of the contact person within the customer; every identifier of
   * one contact person carries the same id (R3: a contact person is a subject of their own).
   */
  @IsOptional() @IsString() @MinLength(1) person?: string;

  /**
   * Since when the customer (or its contact person) has held the identifier (contract v1.1 §3 "Who an entry
   * binds"). Absent in events written before v1.1: read as the customer's `since`.
   */
  @IsOptional() @IsISO8601({ strict: true }) from?: string;
}

/**
 * An identifier the customer (or one of its contact persons) held in `[from, until)` and no longer holds. Entries
 * recorded against it in that time keep binding the customer for good (a rectified address keeps its refusals).
 */
export class FormerContactPointV1 {
  @IsIn(['email', 'phone'])
  kind!: 'email' | 'phone';

  @Matches(HEX64)
  hash!: string;

  @IsIn(['own', 'contact-person'])
  owner!: 'own' | 'contact-person';

  @IsOptional() @IsString() @MinLength(1) person?: string;

  @IsISO8601({ strict: true }) from!: string;

  @IsISO8601({ strict: true }) until!: string;
}

export class AddressV1 {
  @IsString() street!: string;
  @IsString() postalCode!: string;
  @IsString() city!: string;
  @IsString() country!: string;
}

/** What directory outlets may publish, before bans are applied. */
export class DirectoryListingV1 {
  @IsString() name!: string;
  @IsOptional() @IsString() phone?: string;
  @IsOptional() @ValidateNested() @Type(() => AddressV1) address?: AddressV1;
}

/**
 * Every customer event carries the complete current state of the customer (event-carried state transfer),
 * so a consumer only needs the newest event of a customer and the topic can be compacted.
 */
export class CustomerStateV1 {
  @IsString() @MinLength(1) customerId!: string;
  @IsString() @MinLength(1) customerNumber!: string;
  @IsIn(CUSTOMER_KINDS) kind!: CustomerKind;
  @IsIn(LANGUAGES) language!: Language;
  @IsBoolean() activeContract!: boolean;
  /** Set when `activeContract` turned false; absent while the relationship is active (R2). */
  @IsOptional() @IsISO8601({ strict: true }) relationshipEndedAt?: string;
  /** Product categories held now (R10); absent in events written before v1.1 (read as none). */
  @IsOptional() @IsArray() @IsIn(PRODUCTS, { each: true }) products?: Product[];
  @IsArray() @ValidateNested({ each: true }) @Type(() => ContactPointHashV1) contactPoints!: ContactPointHashV1[];
  /** Identifiers held before (v1.1); absent in older events. */
  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => FormerContactPointV1)
  formerContactPoints?: FormerContactPointV1[];
  @ValidateNested() @Type(() => DirectoryListingV1) listing!: DirectoryListingV1;
  /**
   * The keyed hash (HMAC-SHA256 hex with the partner hash key) of the customer's postal identity: `post:` and the
   * normalised name and address (`normalisePostalIdentity`), for postal checks. Absent without a usable address.
   */
  @IsOptional() @Matches(HEX64) postalHash?: string;
  /**
   * Bans the population register (DVV) records (§3.9). With `safety` the listing carries no address (and the
   * customer is never listed).
   */
  @IsOptional()
  @IsArray()
  @IsIn(POPULATION_REGISTER_BANS, { each: true })
  populationRegisterBans?: PopulationRegisterBan[];
  @IsOptional() @IsISO8601({ strict: true }) restrictedSince?: string;
  @IsISO8601({ strict: true }) since!: string;
}

/** After erasure only keyed hashes remain, so that opt-outs keep being honoured (R8). */
export class CustomerErasedV1 {
  @IsString() @MinLength(1) customerId!: string;
  @IsArray() @ValidateNested({ each: true }) @Type(() => ContactPointHashV1) contactPoints!: ContactPointHashV1[];
  /** Identifiers held before (v1.1): their entries may bind the customer, so erasure must consider them. */
  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => FormerContactPointV1)
  formerContactPoints?: FormerContactPointV1[];
  @IsISO8601({ strict: true }) erasedAt!: string;
}
