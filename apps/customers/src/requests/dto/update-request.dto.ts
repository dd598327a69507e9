import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsIn, IsInt, IsString, IsUUID, Length, Max, Min, ValidateIf } from 'class-validator';
import { MAX_EXTENSION_MONTHS, REQUEST_OUTCOMES, RequestOutcome } from '../desk-rules';

export const REQUEST_ACTIONS = ['extend', 'close'] as const;
/** The fields each action takes; a field of the other action is refused, naming it. */
export const ACTION_FIELDS = { extend: ['months', 'reason'], close: ['outcome', 'auditIds'] } as const;

const extending = (o: UpdateRequestDto) => o.action === 'extend';
const closing = (o: UpdateRequestDto) => o.action === 'close';

/** Extend the deadline once (Art 12(3)), or close with the outcome and the audit records of what was done. */
export class UpdateRequestDto {
  @ApiProperty({ enum: REQUEST_ACTIONS }) @IsIn(REQUEST_ACTIONS) action!: (typeof REQUEST_ACTIONS)[number];

  @ApiPropertyOptional({ minimum: 1, maximum: MAX_EXTENSION_MONTHS, description: 'extend: further months' })
  @ValidateIf(extending)
  @IsInt()
  @Min(1)
  @Max(MAX_EXTENSION_MONTHS)
  months?: number;

  @ApiPropertyOptional({ description: 'extend: why (complexity, number of requests)', example: 'complex request' })
  @ValidateIf(extending)
  @IsString()
  @Length(1, 500)
  reason?: string;

  @ApiPropertyOptional({ enum: REQUEST_OUTCOMES, description: 'close: the outcome' })
  @ValidateIf(closing)
  @IsIn(REQUEST_OUTCOMES)
  outcome?: RequestOutcome;

  @ApiPropertyOptional({
    type: [String],
    description:
      'close: ids of the audit records (GET /v1/audit of the service that did it) of what was done; at least one ' +
      'for fulfilled and partially-fulfilled',
  })
  @ValidateIf(closing)
  @IsArray()
  @ArrayMaxSize(100)
  @IsUUID('all', { each: true })
  auditIds?: string[];
}
