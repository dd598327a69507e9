import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsISO8601, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { ROLES } from '@kielto/contracts';
import { Actor } from '../auth/api-keys';
import { CurrentActor, Roles } from '../auth/roles.decorator';
import { ProblemException } from '../http/problem';
import { AccessPolicy } from '../security/access-policy';
import { AuditRecord } from './audit-record.schema';
import { AuditTrail } from './audit-trail.service';
import { SUBJECT_ID } from './personal-data-read';
import { SubjectReadGatherer } from './subject-read-gatherer';

export class AuditQueryDto {
  @ApiPropertyOptional({ description: 'API key id of the actor, or `oidc:<sub>` of a signed-in person' })
  @IsOptional()
  @IsString()
  @MaxLength(300)
  actor?: string;
  @ApiPropertyOptional({ example: '/v1/customers/:id' }) @IsOptional() @IsString() @MaxLength(200) route?: string;
  @ApiPropertyOptional({
    description:
      "A customer id (or `email:<hash>`/`phone:<hash>`): who read this subject's personal data, newest first. On " +
      'customers, gathered from all four services (503 rather than partial)',
  })
  @IsOptional()
  @IsString()
  @Matches(SUBJECT_ID, { message: 'subject must be a customer id, or email:<hash> / phone:<hash>' })
  subject?: string;
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
  @ApiProperty({
    description: 'API key id of the actor, `oidc:<sub>` of a signed-in person, `anonymous` without a valid key',
  })
  actor!: string;
  @ApiPropertyOptional({ description: "A signed-in person's display name (`name` claim)" }) actorName?: string;
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
  @ApiPropertyOptional({ description: 'Whose personal data a read returned (ids and identifier hashes only)' })
  subjects?: string[];
  @ApiPropertyOptional({ description: 'How many more subjects the read returned than are listed' })
  subjectsOmitted?: number;
  @ApiPropertyOptional({
    description: 'What a bulk write did (e.g. a register snapshot: rows, added, removed, unchanged, inputSha256)',
  })
  details?: Record<string, string | number>;
  @ApiProperty({ example: 202 }) status!: number;
  @ApiProperty({ enum: ['success', 'rejected', 'failed'] }) outcome!: string;
  @ApiPropertyOptional() requestId?: string;
}

@ApiTags('audit')
@ApiBearerAuth()
@Controller('v1/audit')
export class AuditController {
  constructor(
    private readonly audit: AuditTrail,
    private readonly subjects: SubjectReadGatherer,
    private readonly policy: AccessPolicy,
  ) {}

  /**
   * Admin: who changed what in this service, newest first. With `subject`, also the data protection officer: who
   * read that person's data (GDPR Art 15), which the DPO answers; the rest of the trail stays admin's.
   */
  @Get()
  @Roles('dpo')
  @ApiOperation({
    summary:
      'Audit trail: every write, every denied call, every read of personal data (admin); with `subject`, who read ' +
      "that person's data and when (admin and dpo; dpo only with `subject`, else 403)",
  })
  @ApiOkResponse({ type: [AuditRecordDto], description: 'Newest first' })
  async list(@Query() query: AuditQueryDto, @CurrentActor() actor: Actor): Promise<AuditRecord[]> {
    const since = query.since ? new Date(query.since) : undefined;
    // The whole trail is what a route without roles allows: admin, by the one access policy.
    if (query.subject === undefined && !this.policy.mayCall(actor, [])) {
      throw new ProblemException(
        403,
        'forbidden',
        `The ${actor.role} role may read the audit trail of one subject only: give subject=<customer id>`,
        [{ field: 'subject', message: `subject is required for the ${actor.role} role` }],
      );
    }
    if (query.subject !== undefined) {
      const reads = await this.subjects.readsOf(query.subject, query.limit ?? 100, since);
      return reads.filter((r) => query.actor === undefined || r.actor === query.actor);
    }
    return this.audit.find({
      actor: query.actor,
      route: query.route,
      since: query.since ? new Date(query.since) : undefined,
      limit: query.limit ?? 100,
    });
  }
}
