import { Controller, Get, Header, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Roles } from '@kielto/platform';
import { RetentionDue, RetentionRunReport, RetentionService } from './retention.service';

class DueCustomerDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'K40512738' }) customerNumber!: string;
  @ApiProperty({ format: 'date-time' }) relationshipEndedAt!: string;
}

class RetentionDueDto {
  @ApiProperty({ format: 'date-time' }) asOf!: string;
  @ApiProperty({ format: 'date-time', description: 'Relationships that ended before this instant are due' })
  cutoff!: string;
  @ApiProperty({ description: 'KIELTO_RETENTION_DAYS' }) retentionDays!: number;
  @ApiProperty({ type: [DueCustomerDto], description: 'Ids, customer numbers and dates only' }) due!: DueCustomerDto[];
  @ApiProperty({ description: 'Customers due but kept by a legal hold in force' }) held!: number;
}

class RetentionRunDto {
  @ApiProperty({ example: 'manual:2027-03-01T12:00:00.000Z:0f7c…' }) runId!: string;
  @ApiProperty({ enum: ['scheduled', 'manual'] }) trigger!: string;
  @ApiProperty({ format: 'date-time' }) startedAt!: string;
  @ApiProperty({ format: 'date-time' }) finishedAt!: string;
  @ApiProperty({ format: 'date-time' }) cutoff!: string;
  @ApiProperty({ type: [DueCustomerDto] }) erased!: DueCustomerDto[];
  @ApiProperty({ description: 'Due but kept by a legal hold' }) held!: number;
  @ApiProperty({ description: 'Erasures that failed (logged); the next run tries again' }) failed!: number;
}

/**
 * The retention job's view (the data-protection officer's too: which customers are due, issue 21) and its manual
 * trigger (admin only: no role named).
 */
@ApiTags('retention')
@Roles()
@Controller('v1/retention')
export class RetentionController {
  constructor(private readonly retention: RetentionService) {}

  @Get('due')
  @Roles('dpo')
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary: 'What the next retention run would erase: relationship ended > KIELTO_RETENTION_DAYS ago, no legal hold',
  })
  @ApiOkResponse({ type: RetentionDueDto })
  due(): Promise<RetentionDue> {
    return this.retention.due();
  }

  @Post('run')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Run the retention job now: each due customer erased as by DELETE, actor system:retention, audited',
  })
  @ApiOkResponse({ type: RetentionRunDto })
  run(): Promise<RetentionRunReport> {
    return this.retention.runNow();
  }
}
