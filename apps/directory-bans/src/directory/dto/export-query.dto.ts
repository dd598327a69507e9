import { ApiProperty } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { DIRECTORY_OUTLETS, DirectoryOutlet } from '@kielto/contracts';

export class ExportQueryDto {
  @ApiProperty({ enum: DIRECTORY_OUTLETS, description: 'The outlet the export is for: outlet-specific bans apply' })
  @IsIn(DIRECTORY_OUTLETS)
  outlet!: DirectoryOutlet;
}
