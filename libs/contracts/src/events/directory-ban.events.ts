import { IsArray, IsIn, IsISO8601, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import {
  DIRECTORY_BAN_SCOPES,
  DIRECTORY_FIELDS,
  DIRECTORY_OUTLETS,
  DirectoryBanScope,
  DirectoryField,
  DirectoryOutlet,
} from '../enums';

/** Longest reason staff may give for setting or lifting a ban. */
export const DIRECTORY_BAN_REASON_MAX_LENGTH = 500;

/**
 * A customer's publication ban as it stands from now on (each `set` replaces the previous one). Aggregate and
 * Kafka key = customerId.
 */
export class DirectoryBanSetV1 {
  @IsString() @MinLength(1) customerId!: string;
  @IsIn(DIRECTORY_BAN_SCOPES) scope!: DirectoryBanScope;
  /** Fields withheld by a `partial` ban; empty for `full` (which withholds the whole listing). */
  @IsArray() @IsIn(DIRECTORY_FIELDS, { each: true }) hiddenFields!: DirectoryField[];
  /** Empty = every outlet. */
  @IsArray() @IsIn(DIRECTORY_OUTLETS, { each: true }) outlets!: DirectoryOutlet[];
  /** When this version of the ban took effect. */
  @IsISO8601({ strict: true }) since!: string;
  /** Why staff set it (free text entered by staff; kept for the ban's history). */
  @IsOptional() @IsString() @MaxLength(DIRECTORY_BAN_REASON_MAX_LENGTH) reason?: string;
  /** API key id of who set it (R6-style provability of who did what). */
  @IsOptional() @IsString() setBy?: string;
}

export class DirectoryBanLiftedV1 {
  @IsString() @MinLength(1) customerId!: string;
  @IsISO8601({ strict: true }) liftedAt!: string;
  @IsOptional() @IsString() @MaxLength(DIRECTORY_BAN_REASON_MAX_LENGTH) reason?: string;
  /** API key id of who lifted it. */
  @IsOptional() @IsString() liftedBy?: string;
}
