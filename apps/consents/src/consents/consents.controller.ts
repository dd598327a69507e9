import { Body, Controller, Delete, Get, HttpCode, Post, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { DSR_HEADER_NAME } from '@kielto/contracts';
import type { FastifyRequest } from 'fastify';
import {
  Actor,
  bareIdentifierOf,
  fieldProblem,
  CurrentActor,
  IdentifierQueryDto,
  IDEMPOTENCY_KEY,
  isDryRun,
  idempotencyKey,
  ImportBatchResult,
  ImportRoute,
  requireNdjson,
  ReadsPersonalData,
  Roles,
} from '@kielto/platform';
import { ConsentsEnv } from '../consents.env';
import { ConsentsService, decisionOf, LedgerEntry, LedgerView } from './consents.service';
import { ConsentQueryDto } from './dto/consent-query.dto';
import { ImportConsentDto } from './dto/import-consent.dto';
import { RecordConsentDto } from './dto/record-consent.dto';
import { ConsentImportService, MAX_CONSENT_IMPORT_ROWS } from './import/consent-import.service';
import { IdentifierErasure, LedgerErasureService } from './ledger-erasure.service';
import { DeskSubject, DeskWrite, RequestDeskClient } from './request-desk.client';

class IdentifierErasureDto implements IdentifierErasure {
  @ApiProperty({
    example: 'email:3f9a…',
    description: 'The ledger subject: `email:<keyed hash>` or `phone:<keyed hash>`',
  })
  subject!: string;
  @ApiProperty({ format: 'date-time' }) erasedAt!: string;
  @ApiProperty({ description: 'Ledger entries and SMS keywords deleted' }) erased!: number;
}

@ApiTags('consents')
@ApiBearerAuth()
@Controller('v1/consents')
export class ConsentsController {
  constructor(
    private readonly consents: ConsentsService,
    private readonly env: ConsentsEnv,
    private readonly imports: ConsentImportService,
    private readonly erasure: LedgerErasureService,
    private readonly desk: RequestDeskClient,
  ) {}

  /**
   * Appends a decision to the subject's ledger with its evidence. Who captured it is always the API key and the
   * request (a body can claim anything: its `capturedBy` is kept apart, as `agent`); a grant or a lifted
   * prohibition always names the privacy notice the person was shown (KIELTO_NOTICE_VERSION unless the body does).
   */
  @Post()
  @HttpCode(201)
  @Roles('staff')
  @ApiHeader({
    name: DSR_HEADER_NAME,
    required: false,
    description:
      'Id of the data-subject request (POST /v1/requests on customers) a prohibition (objection) or a withdrawal is ' +
      'recorded for: it must be open and about this subject (else 400/409/422 naming the header, nothing written), ' +
      'and its trail gets the decision',
  })
  async record(
    @Body() body: RecordConsentDto,
    @CurrentActor() actor: Actor,
    @Req() request: FastifyRequest,
  ): Promise<LedgerEntry> {
    const subject = this.consents.subjectOf(body);
    const entry = decisionOf(subject, body, {
      keyId: actor.keyId,
      requestId: String(request.id),
      defaultNoticeVersion: this.env.KIELTO_NOTICE_VERSION,
    });
    const dsr = request.headers[DSR_HEADER_NAME.toLowerCase()];
    if (dsr === undefined) return this.consents.record(entry);
    const link = deskWriteOf(body, actor, String(request.id));
    if (typeof dsr !== 'string' || !link)
      throw fieldProblem(DSR_HEADER_NAME, `${DSR_HEADER_NAME} names a request for a prohibition or a withdrawal only`);
    await this.desk.check(dsr, link);
    const recorded = await this.consents.record(entry);
    await this.desk.addToTrail(dsr, link);
    return recorded;
  }

  /** Consent and prohibition history from a legacy register, with original times (`kielto import consents FILE`). */
  @ImportRoute('Import consent and prohibition history (NDJSON)', ImportConsentDto, MAX_CONSENT_IMPORT_ROWS)
  @Roles('staff')
  import(
    @Body() body: unknown,
    @CurrentActor() actor: Actor,
    @Req() request: FastifyRequest,
  ): Promise<ImportBatchResult> {
    return this.imports.import(requireNdjson(body), {
      actor,
      requestId: String(request.id),
      defaultNoticeVersion: this.env.KIELTO_NOTICE_VERSION,
      attempt: idempotencyKey(request.headers[IDEMPOTENCY_KEY]),
      dryRun: isDryRun((request.query as Record<string, unknown>).dryRun),
    });
  }

  /** The effective state per channel × purpose and every entry that applies, in order, with its evidence. */
  @Get()
  @Roles('staff', 'dpo')
  @ReadsPersonalData({ lookup: true })
  async list(@Query() query: ConsentQueryDto): Promise<LedgerView> {
    const { current, history } = await this.consents.view(this.consents.subjectOf(query));
    return { current, history };
  }

  /**
   * Erases a bare identifier's ledger (a person who is not a customer): called by `DELETE /v1/subjects` on customers
   * with the service key, hence admin only. Its keyed hash stays as a tombstone (R8). 409 while a customer holds or
   * held the identifier.
   */
  @Delete()
  @Roles()
  // The audit record of the erasure names the identifier's keyed hash as its subject.
  @ReadsPersonalData({ lookup: true })
  @ApiOperation({
    summary:
      "Erase a bare identifier's ledger, keeping its keyed hash as a tombstone (R8); 409 while a customer holds or held it",
  })
  @ApiOkResponse({ type: IdentifierErasureDto })
  erase(@Query() query: IdentifierQueryDto): Promise<IdentifierErasure> {
    const { kind } = bareIdentifierOf(query);
    return this.erasure.eraseIdentifier(this.consents.subjectOf({ [kind]: query[kind] }));
  }
}

/** What the desk's trail says of a decision: a prohibition is an objection, a withdrawal a withdrawal; else none. */
function deskWriteOf(body: RecordConsentDto, actor: Actor, requestId: string): DeskWrite | undefined {
  const action = body.decision === 'prohibit' ? 'objection' : body.decision === 'withdraw' ? 'withdrawal' : undefined;
  if (action === undefined) return undefined;
  const subject: DeskSubject =
    body.customerId !== undefined
      ? { customerId: body.customerId }
      : body.email !== undefined
        ? { email: body.email }
        : { phone: body.phone! };
  return { action, subject, actor: actor.keyId, requestId };
}
