import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsISO8601, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { ROLES } from '@kielto/contracts';
import { Roles } from '../auth/roles.decorator';
import { AuditRecord } from './audit-record.schema';
import { AuditTrail } from './audit-trail.service';

export class AuditQueryDto {
  @ApiPropertyOptional({ description: 'API key id of the actor' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  actor?: string;
  @ApiPropertyOptional({ example: '/v1/customers/:id' }) @IsOptional() @IsString() @MaxLength(200) route?: string;
  @ApiPropertyOptional({ format: 'date-time' }) @IsOptional() @IsISO8601({ strict: true }) since?: string;
  @ApiPropertyOptional({ default: 100, maximum: 1000 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}

/** OpenAPI shape of an audit record (see AuditRecord). */
export class AuditRecordDto {
  @ApiProperty() _id!: string;
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty({ description: 'API key id of the actor, `anonymous` without a valid key' }) actor!: string;
  @ApiProperty({
    enum: [...ROLES, 'none', 'system'],
    description: '`none`: a call without a valid key; `system`: the service itself (a scheduled job)',
  })
  role!: string;
  @ApiProperty() service!: string;
  @ApiProperty({ example: 'DELETE' }) method!: string;
  @ApiProperty({ description: 'Route pattern, never the concrete URL', example: '/v1/customers/:id' }) route!: string;
  @ApiPropertyOptional({ description: 'Path parameters naming the target (ids only)', example: { id: '6f0b9c2e-…' } })
  target?: Record<string, string>;
  @ApiProperty({ example: 202 }) status!: number;
  @ApiProperty({ enum: ['success', 'rejected', 'failed'] }) outcome!: string;
  @ApiPropertyOptional() requestId?: string;
}

@ApiTags('audit')
@ApiBearerAuth()
@Controller('v1/audit')
export class AuditController {
  constructor(private readonly audit: AuditTrail) {}

  /** Admin only: who changed what in this service, newest first. */
  @Get()
  @Roles()
  @ApiOperation({
    summary: 'Audit trail: every write, every denied call, every read of clear identity codes (admin role)',
  })
  @ApiOkResponse({ type: [AuditRecordDto], description: 'Newest first' })
  list(@Query() query: AuditQueryDto): Promise<AuditRecord[]> {
    return this.audit.find({
      actor: query.actor,
      route: query.route,
      since: query.since ? new Date(query.since) : undefined,
      limit: query.limit ?? 100,
    });
  }
}
