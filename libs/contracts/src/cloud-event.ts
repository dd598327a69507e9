import { IsDefined, IsIn, IsInt, IsISO8601, IsObject, IsString, Matches, Min, MinLength } from 'class-validator';

/**
 * CloudEvents 1.0 envelope in structured JSON mode (DESIGN.md §4). The Kafka key is the aggregate id;
 * `sequence` (an extension attribute) orders the events of one aggregate, starting at 1.
 */
export class CloudEventV1<T = unknown> {
  @IsIn(['1.0'])
  specversion!: '1.0';

  /** Globally unique; consumers deduplicate on it. */
  @IsString()
  @MinLength(1)
  id!: string;

  @IsString()
  @Matches(/^\/kielto\//)
  source!: string;

  @IsString()
  @Matches(/^fi\.kielto\.[a-z-]+\.[a-z-]+\.v\d+$/)
  type!: string;

  /** The aggregate id, same as the Kafka key. */
  @IsString()
  @MinLength(1)
  subject!: string;

  @IsISO8601({ strict: true })
  time!: string;

  @IsIn(['application/json'])
  datacontenttype!: 'application/json';

  @IsInt()
  @Min(1)
  sequence!: number;

  @IsDefined()
  @IsObject()
  data!: T;
}

export const CLOUD_EVENT_SPEC_VERSION = '1.0';
