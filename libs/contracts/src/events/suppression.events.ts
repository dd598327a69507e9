import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsISO8601,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { LEDGER_CHANNELS, LedgerChannel, SUPPRESSION_ENTRY_REASONS, SuppressionEntryReason } from '../enums';

/**
 * Internal topic of the suppression service (not part of the public contract): staff entries (bounce,
 * complaint, robinson, manual) written through suppression's own event log and consumed by every suppression
 * instance, so that all instances hold the same list and an empty store can be rebuilt from Kafka.
 */
export const SUPPRESSION_ENTRIES_TOPIC = 'kielto.suppression-entries.v1';

export const SUPPRESSION_ENTRY_EVENT_TYPES = {
  added: 'fi.kielto.suppression-entry.added.v1',
  imported: 'fi.kielto.suppression-entry.imported.v1',
  removed: 'fi.kielto.suppression-entry.removed.v1',
} as const;

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

export const SUPPRESSION_EVENT_PAYLOAD_CLASSES: Readonly<Record<string, new () => object>> = {
  [SUPPRESSION_ENTRY_EVENT_TYPES.added]: SuppressionEntryAddedV1,
  [SUPPRESSION_ENTRY_EVENT_TYPES.imported]: SuppressionEntriesImportedV1,
  [SUPPRESSION_ENTRY_EVENT_TYPES.removed]: SuppressionEntryRemovedV1,
};
