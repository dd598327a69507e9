import { IsArray, IsIn, IsISO8601, IsOptional, IsString, MinLength } from 'class-validator';
import {
  DIRECTORY_BAN_SCOPES,
  DIRECTORY_FIELDS,
  DIRECTORY_OUTLETS,
  DirectoryBanScope,
  DirectoryField,
  DirectoryOutlet,
} from '../enums';

export const DIRECTORY_BAN_EVENT_TYPES = {
  set: 'fi.kielto.directory-ban.set.v1',
  lifted: 'fi.kielto.directory-ban.lifted.v1',
} as const;

export class DirectoryBanSetV1 {
  @IsString() @MinLength(1) customerId!: string;
  @IsIn(DIRECTORY_BAN_SCOPES) scope!: DirectoryBanScope;
  @IsArray() @IsIn(DIRECTORY_FIELDS, { each: true }) hiddenFields!: DirectoryField[];
  /** Empty = every outlet. */
  @IsArray() @IsIn(DIRECTORY_OUTLETS, { each: true }) outlets!: DirectoryOutlet[];
  @IsISO8601({ strict: true }) since!: string;
}

export class DirectoryBanLiftedV1 {
  @IsString() @MinLength(1) customerId!: string;
  @IsISO8601({ strict: true }) liftedAt!: string;
  @IsOptional() @IsString() reason?: string;
}
