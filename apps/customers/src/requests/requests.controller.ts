import { Body, Controller, Get, Header, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiPropertyOptional,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import { Actor, CurrentActor, isDryRun, Roles } from '@kielto/platform';
import { REQUEST_CHANNELS, REQUEST_TYPES } from '@kielto/contracts';
import { REQUEST_OUTCOMES, REQUEST_STATUSES } from './desk-rules';
import { TrailEntry } from './desk-request';
import { CreateRequestDto } from './dto/create-request.dto';
import { LinkTrailDto } from './dto/link-trail.dto';
import { RequestQueryDto } from './dto/request-query.dto';
import { UpdateRequestDto } from './dto/update-request.dto';
import { PeerLink, RequestsService, RequestView } from './requests.service';

class RequestSubjectDto {
  @ApiPropertyOptional({ format: 'uuid' }) customerId?: string;
  @ApiPropertyOptional({ description: 'Normalised' }) email?: string;
  @ApiPropertyOptional({ description: 'E.164' }) phone?: string;
}

class ExtensionDto {
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty({ description: 'Id of the API key that extended it' }) by!: string;
  @ApiProperty({ minimum: 1, maximum: 2 }) months!: number;
  @ApiProperty() reason!: string;
  @ApiProperty({ format: 'date-time' }) previousDueAt!: string;
}

class ClosingDto {
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty({ description: 'Id of the API key that closed it' }) by!: string;
  @ApiProperty({ enum: REQUEST_OUTCOMES }) outcome!: string;
  @ApiProperty({ type: [String], description: 'Audit record ids of what was done' }) auditIds!: string[];
}

class RequestResponseDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ description: '1 received, 2-3 after an extension and a closing' }) version!: number;
  @ApiProperty({ enum: REQUEST_TYPES }) type!: string;
  @ApiProperty({ type: RequestSubjectDto }) subject!: RequestSubjectDto;
  @ApiProperty({ format: 'date-time' }) receivedAt!: string;
  @ApiProperty({ enum: REQUEST_CHANNELS }) channel!: string;
  @ApiPropertyOptional() identityVerifiedBy?: string;
  @ApiProperty({ format: 'date-time', description: 'receivedAt + one calendar month, or as extended' }) dueAt!: string;
  @ApiProperty({ enum: REQUEST_STATUSES }) status!: string;
  @ApiPropertyOptional({ type: ExtensionDto }) extension?: ExtensionDto;
  @ApiPropertyOptional({ type: ClosingDto }) closed?: ClosingDto;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty() createdBy!: string;
}

class TrailEntryDto {
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty({
    example: 'erasure',
    description:
      'rectification, erasure, restriction or restriction-lifted (customers); objection or withdrawal (consents)',
  })
  action!: string;
  @ApiPropertyOptional({ format: 'uuid', description: 'The customer written (customer routes)' }) customerId?: string;
  @ApiPropertyOptional({
    example: 'email:3f9a…',
    description: 'The bare identifier erased (DELETE /v1/subjects), as `email:<keyed hash>` or `phone:<keyed hash>`',
  })
  subject?: string;
  @ApiProperty() actor!: string;
  @ApiProperty({ description: 'Request id of the write: its audit record carries the same requestId' })
  requestId!: string;
}

class PeerLinkDto {
  @ApiProperty({ format: 'uuid', description: 'The desk entry' }) id!: string;
  @ApiPropertyOptional({ type: TrailEntryDto, description: 'The entry added (absent on a dry run)' })
  entry?: TrailEntryDto;
}

class RequestWithTrailDto extends RequestResponseDto {
  @ApiProperty({ type: [TrailEntryDto], description: 'Writes made for it with X-Kielto-Dsr, oldest first' })
  trail!: TrailEntryDto[];
}

@ApiTags('requests')
@Roles('staff', 'dpo')
@Controller('v1/requests')
export class RequestsController {
  constructor(private readonly requests: RequestsService) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Record a data-subject request; dueAt = receivedAt + one calendar month (GDPR Art 12(3))' })
  @ApiCreatedResponse({ type: RequestResponseDto })
  receive(@Body() body: CreateRequestDto, @CurrentActor() actor: Actor): Promise<RequestView> {
    return this.requests.receive(body, actor);
  }

  @Get()
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'Requests on the desk, oldest deadline first' })
  @ApiOkResponse({ type: [RequestResponseDto] })
  list(@Query() query: RequestQueryDto): Promise<RequestView[]> {
    return this.requests.list(query);
  }

  @Get(':id')
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'A request with the trail of what was done for it' })
  @ApiOkResponse({ type: RequestWithTrailDto })
  get(@Param('id') id: string): Promise<RequestView & { trail: TrailEntry[] }> {
    return this.requests.get(id);
  }

  @Patch(':id')
  @ApiOperation({
    summary:
      'Extend the deadline once by 1-2 months with a reason (within the first month), or close with the outcome ' +
      'and the audit record ids of what was done',
  })
  @ApiOkResponse({ type: RequestResponseDto })
  change(@Param('id') id: string, @Body() body: UpdateRequestDto, @CurrentActor() actor: Actor): Promise<RequestView> {
    return this.requests.change(id, body, actor);
  }

  /**
   * For the other services' writes done for a request (consents: `X-Kielto-Dsr` on an objection or a withdrawal),
   * with the service key: `dryRun=true` before the write answers whether it may be linked (the same problems as
   * `X-Kielto-Dsr` on customers' own routes), the call after the write adds it to the trail.
   */
  @Post(':id/trail')
  @HttpCode(200)
  @Roles()
  @ApiOperation({
    summary:
      "Link another service's write to the request (service key): check with dryRun=true before it, add it to the " +
      'trail after it',
  })
  @ApiQuery({ name: 'dryRun', required: false, enum: ['true', 'false'] })
  @ApiOkResponse({ type: PeerLinkDto })
  link(@Param('id') id: string, @Body() body: LinkTrailDto, @Query('dryRun') dryRun?: string): Promise<PeerLink> {
    return this.requests.linkPeerWrite(id, body, isDryRun(dryRun));
  }
}
