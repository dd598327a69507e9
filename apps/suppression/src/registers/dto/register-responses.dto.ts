import { ApiProperty } from '@nestjs/swagger';
import { RegisterName, REGISTERS } from '@kielto/contracts';
import type { RegisterSnapshotResult } from '../registers.service';

/** What a snapshot did to the register (also the audit record's details). */
export class RegisterSnapshotResultDto implements RegisterSnapshotResult {
  @ApiProperty({ enum: REGISTERS }) register!: RegisterName;
  @ApiProperty({ example: '2026-12-01', description: 'The date of the snapshot (X-Register-Date)' })
  registerDate!: string;
  @ApiProperty({ description: 'Distinct rows of the snapshot: the register holds exactly these now' }) rows!: number;
  @ApiProperty({ description: 'Rows new to the register (they suppress from now on)' }) added!: number;
  @ApiProperty({ description: 'Rows missing from the snapshot (they no longer suppress)' }) removed!: number;
  @ApiProperty({ description: 'Rows held before and still in the snapshot (they keep their first-seen date)' })
  unchanged!: number;
  @ApiProperty({ description: 'Lines repeating a row met before in the same snapshot (counted once)' })
  repeated!: number;
  @ApiProperty({ description: 'SHA-256 hex of the snapshot as uploaded' }) inputSha256!: string;
}

/** A register's newest snapshot and whether checks of its channel are refused for it (stale). */
export class RegisterStatusDto {
  @ApiProperty({ enum: REGISTERS }) register!: RegisterName;
  @ApiProperty({ type: String, nullable: true, example: '2026-12-01', description: 'null: never imported' })
  date!: string | null;
  @ApiProperty({ type: Number, nullable: true }) ageDays!: number | null;
  @ApiProperty({ description: 'Older than KIELTO_REGISTER_MAX_AGE_DAYS: checks of its channel for non-customers 503' })
  overdue!: boolean;
  @ApiProperty() rows!: number;
}
