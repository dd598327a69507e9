import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import {
  DIRECTORY_BAN_REASON_MAX_LENGTH,
  DIRECTORY_BAN_SCOPES,
  DIRECTORY_FIELDS,
  DIRECTORY_OUTLETS,
  DirectoryBanScope,
  DirectoryField,
  DirectoryOutlet,
} from '@kielto/contracts';

/** The ban a customer wants from now on; it replaces whatever ban the customer had. */
export class PutDirectoryBanDto {
  @ApiProperty({
    enum: DIRECTORY_BAN_SCOPES,
    description: '`full` withholds the whole listing; `partial` only hiddenFields',
  })
  @IsIn(DIRECTORY_BAN_SCOPES)
  scope!: DirectoryBanScope;

  @ApiPropertyOptional({
    enum: DIRECTORY_FIELDS,
    isArray: true,
    description: 'Required (non-empty) for partial bans only',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(DIRECTORY_FIELDS.length * 2)
  @IsIn(DIRECTORY_FIELDS, { each: true })
  hiddenFields?: DirectoryField[];

  @ApiPropertyOptional({
    enum: DIRECTORY_OUTLETS,
    isArray: true,
    description: 'Outlets the ban applies to; absent or empty = every outlet',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(DIRECTORY_OUTLETS.length * 2)
  @IsIn(DIRECTORY_OUTLETS, { each: true })
  outlets?: DirectoryOutlet[];

  @ApiPropertyOptional({
    maxLength: DIRECTORY_BAN_REASON_MAX_LENGTH,
    example: 'customer request by phone, ticket 88213',
  })
  @IsOptional()
  @IsString()
  @MaxLength(DIRECTORY_BAN_REASON_MAX_LENGTH)
  reason?: string;
}

/** Optional body of DELETE /v1/directory-bans/:customerId. */
export class LiftDirectoryBanDto {
  @ApiPropertyOptional({ maxLength: DIRECTORY_BAN_REASON_MAX_LENGTH })
  @IsOptional()
  @IsString()
  @MaxLength(DIRECTORY_BAN_REASON_MAX_LENGTH)
  reason?: string;
}
