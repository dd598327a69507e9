import { Transform } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { BaseEnv } from '@kielto/platform';

export class DirectoryBansEnv extends BaseEnv {
  /**
   * Listings read per database round trip during an export, and lines per chunk written to the client. Bounds
   * the export's memory whatever the register's size.
   */
  @Transform(({ value }) => (value === undefined || value === '' ? undefined : Number(value)))
  @IsInt()
  @Min(10)
  @Max(10_000)
  DIRECTORY_EXPORT_BATCH_SIZE = 1000;
}
