import { randomUUID } from 'node:crypto';
import { IsDefined, IsIn, IsInt, IsISO8601, IsObject, IsString, Matches, Min, MinLength } from 'class-validator';

/**
 * CloudEvents 1.0 envelope in structured JSON mode (docs/CONTRACT.md §4). The Kafka key is the aggregate id;
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

/** What varies between events; the builder fills in the rest of the envelope. */
export interface CloudEventFields<T> {
  /** The producing service, e.g. `customers` (→ source `/kielto/customers`). */
  service: string;
  type: string;
  /** The aggregate id (also the Kafka key). */
  subject: string;
  sequence: number;
  data: T;
  /** Default: a random UUID. */
  id?: string;
  /** Default: now. */
  time?: string;
}

/** The one place an envelope is put together: producers, examples and test publishers all use it. */
export function cloudEvent<T>({
  service,
  type,
  subject,
  sequence,
  data,
  id,
  time,
}: CloudEventFields<T>): CloudEventV1<T> {
  return {
    specversion: CLOUD_EVENT_SPEC_VERSION,
    id: id ?? randomUUID(),
    source: `/kielto/${service}`,
    type,
    subject,
    time: time ?? new Date().toISOString(),
    datacontenttype: 'application/json',
    sequence,
    data,
  };
}
