import { ApiProperty } from '@nestjs/swagger';
import { IsISO8601 } from 'class-validator';
import { OptionalCustomerRef } from '@kielto/platform';
import { RecordConsentDto } from './record-consent.dto';

/**
 * One line of `POST /v1/consents/import`: a decision as `POST /v1/consents` takes it (the same rules), recorded at
 * its original time. The subject may also be named by the legacy key of an imported customer (`customerRef`).
 */
export class ImportConsentDto extends RecordConsentDto {
  @OptionalCustomerRef() customerRef?: string;

  @ApiProperty({
    format: 'date-time',
    description: 'When the decision was recorded in the legacy register (not in the future)',
    example: '2019-05-14T09:30:00Z',
  })
  @IsISO8601({ strict: true })
  recordedAt!: string;
}
