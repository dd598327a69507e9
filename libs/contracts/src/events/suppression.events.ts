import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import {
  LEDGER_CHANNELS,
  LedgerChannel,
  REGISTERS,
  RegisterName,
  SUPPRESSION_ENTRY_REASONS,
  SuppressionEntryReason,
} from '../enums';
import { SUPPRESSION_ENTRY_EVENT_TYPES } from './names';

/**
 * Internal topic of the suppression service (not part of the public contract): staff entries (bounce,
 * complaint, robinson, manual) written through suppression's own event log and consumed by every suppression
 * instance, so that all instances hold the same list and an empty store can be rebuilt from Kafka.
 */
export const SUPPRESSION_ENTRIES_TOPIC = 'kielto.suppression-entries.v1';

/** Keyed hashes per register change event: 5000 × 44 base64 characters ≈ 220 KB, well under Kafka's 1 MB. */
export const REGISTER_HASHES_PER_EVENT = 5000;
/** One keyed hash (32 bytes) as 44 base64 characters; a list of them is their concatenation. */
const BASE64_HASHES = /^(?:[A-Za-z0-9+/]{43}=)*$/;

const HEX64 = /^[0-9a-f]{64}$/;

/** One staff entry; the identifier travels only as its keyed hash. */
export class SuppressionEntryV1 {
  @IsString() @MinLength(1) @MaxLength(64) entryId!: string;
  @IsIn(['email', 'phone']) kind!: 'email' | 'phone';
  @Matches(HEX64) hash!: string;
  @IsIn(SUPPRESSION_ENTRY_REASONS) reason!: SuppressionEntryReason;
  @IsIn(LEDGER_CHANNELS) channel!: LedgerChannel;
  @IsISO8601({ strict: true }) since!: string;
  /** API key id of the staff member who added it. */
  @IsOptional() @IsString() @MaxLength(100) createdBy?: string;
}

/** A single entry added (aggregate = the entry id). */
export class SuppressionEntryAddedV1 extends SuppressionEntryV1 {}

/** A chunk of a bulk import (aggregate = the import id, one event per chunk). */
export class SuppressionEntriesImportedV1 {
  @IsString() @MinLength(1) importId!: string;
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @ValidateNested({ each: true })
  @Type(() => SuppressionEntryV1)
  entries!: SuppressionEntryV1[];
}

/** An entry removed by staff (aggregate = the entry id). Removal is final: entry ids are never reused. */
export class SuppressionEntryRemovedV1 {
  @IsString() @MinLength(1) @MaxLength(64) entryId!: string;
  @IsISO8601({ strict: true }) removedAt!: string;
  @IsOptional() @IsString() @MaxLength(100) removedBy?: string;
  /** The entry's identifier, so that a replayed removal still knows which partner-feed key it changes. */
  @IsOptional() @IsIn(['email', 'phone']) kind?: 'email' | 'phone';
  @IsOptional() @Matches(HEX64) hash?: string;
}

/** What a whole snapshot did to the register (in the last part of its changes). */
export class RegisterSnapshotSummaryV1 {
  @IsInt() @Min(0) rows!: number;
  @IsInt() @Min(0) added!: number;
  @IsInt() @Min(0) removed!: number;
  @IsInt() @Min(0) unchanged!: number;
}

/**
 * One part of the difference between a register snapshot and the register held before it (this project's
 * extension, docs/CONTRACT.md §3.9). Rows travel only as keyed hashes (a phone's in E.164, a postal identity's
 * normalised form), 32 bytes each as 44 base64 characters, concatenated. Parts are applied in sequence order; the
 * part with `last` true carries the summary and makes `registerDate` the register's date. Added rows are first seen
 * at `registerDate`; a row both held and in the snapshot keeps its first-seen date.
 */
export class RegisterChangedV1 {
  @IsIn(REGISTERS) register!: RegisterName;
  @Matches(/^\d{4}-\d{2}-\d{2}$/) registerDate!: string;
  /** SHA-256 hex of the snapshot as uploaded. */
  @Matches(HEX64) inputSha256!: string;
  @IsInt() @Min(1) @Max(100_000) part!: number;
  @IsBoolean() last!: boolean;
  @IsString() @MaxLength(REGISTER_HASHES_PER_EVENT * 44) @Matches(BASE64_HASHES) added!: string;
  @IsString() @MaxLength(REGISTER_HASHES_PER_EVENT * 44) @Matches(BASE64_HASHES) removed!: string;
  @IsOptional() @ValidateNested() @Type(() => RegisterSnapshotSummaryV1) summary?: RegisterSnapshotSummaryV1;
  @IsOptional() @IsString() @MaxLength(100) importedBy?: string;
}

export const SUPPRESSION_EVENT_PAYLOAD_CLASSES = {
  [SUPPRESSION_ENTRY_EVENT_TYPES.added]: SuppressionEntryAddedV1,
  [SUPPRESSION_ENTRY_EVENT_TYPES.imported]: SuppressionEntriesImportedV1,
  [SUPPRESSION_ENTRY_EVENT_TYPES.removed]: SuppressionEntryRemovedV1,
  [SUPPRESSION_ENTRY_EVENT_TYPES.registerChanged]: RegisterChangedV1,
} as const;
