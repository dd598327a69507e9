import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional } from 'class-validator';
import { REQUEST_STATUSES, RequestStatus } from '../desk-rules';

export class RequestQueryDto {
  @ApiPropertyOptional({
    enum: REQUEST_STATUSES,
    description: '`open`: not closed (overdue ones included); `overdue`: open past dueAt; `closed`',
  })
  @IsOptional()
  @IsIn(REQUEST_STATUSES)
  status?: RequestStatus;

  @ApiPropertyOptional({ format: 'date-time', description: 'Only requests due before this instant' })
  @IsOptional()
  @IsISO8601({ strict: true })
  dueBefore?: string;
}
