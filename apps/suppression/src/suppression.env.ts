import { homedir } from 'node:os';
import path from 'node:path';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, Min } from 'class-validator';
import { BaseEnv } from '@kielto/platform';

export class SuppressionEnv extends BaseEnv {
  /** Checks answer 503 when the state may be older than this (fail closed). */
  @Transform(({ value }) => (value === undefined ? undefined : Number(value)))
  @IsInt()
  @Min(100)
  SUPPRESSION_MAX_STALENESS_MS = 5000;

  /** A snapshot of the list is written once this many events were applied since the last one (and caught up). */
  @Transform(({ value }) => (value === undefined ? undefined : Number(value)))
  @IsInt()
  @Min(1)
  SUPPRESSION_SNAPSHOT_EVENTS = 100_000;

  /**
   * …and in any case this long after the last one, if anything changed. A restart re-reads what came after the
   * snapshot; a snapshot holds batches back while it copies the list (~1.5 s at a million identifiers), so not
   * too often.
   */
  @Transform(({ value }) => (value === undefined ? undefined : Number(value)))
  @IsInt()
  @Min(1000)
  SUPPRESSION_SNAPSHOT_INTERVAL_MS = 300_000;

  /**
   * Where each instance keeps a copy of its snapshot on local disk, for fast restarts (the database's copy stays
   * the one that counts; a copy is used only when it is the same snapshot). Empty: no local copy.
   */
  @IsString()
  SUPPRESSION_SNAPSHOT_DIR = path.join(homedir(), '.cache', 'kielto', 'suppression');

  /** R2: soft opt-in (and the Robinson exemption) lasts this many days after a customer relationship ended. */
  @Transform(({ value }) => (value === undefined ? undefined : Number(value)))
  @IsInt()
  @Min(0)
  KIELTO_SOFT_OPT_IN_GRACE_DAYS = 0;

  /**
   * An outside register (asml-phone, asml-post) whose newest snapshot is older than this many days is overdue:
   * checks of its channel for non-customers answer 503 until a newer snapshot is imported (fail closed).
   */
  @Transform(({ value }) => (value === undefined ? undefined : Number(value)))
  @IsInt()
  @Min(1)
  KIELTO_REGISTER_MAX_AGE_DAYS = 31;

  /**
   * Every instance keeps the whole list in memory, so each consumes every partition with its own consumer
   * group; the id must be stable across restarts of the same instance. Defaults to `<host>-<port>`.
   */
  @IsOptional() @IsString() SUPPRESSION_INSTANCE_ID?: string;
}
