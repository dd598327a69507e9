import { Body, Controller, Get, HttpCode, Post, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import {
  Actor,
  CurrentActor,
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

@ApiTags('consents')
@ApiBearerAuth()
@Controller('v1/consents')
export class ConsentsController {
  constructor(
    private readonly consents: ConsentsService,
    private readonly env: ConsentsEnv,
    private readonly imports: ConsentImportService,
  ) {}

  /**
   * Appends a decision to the subject's ledger with its evidence. Who captured it is always the API key and the
   * request (a body can claim anything: its `capturedBy` is kept apart, as `agent`); a grant or a lifted
   * prohibition always names the privacy notice the person was shown (KIELTO_NOTICE_VERSION unless the body does).
   */
  @Post()
  @HttpCode(201)
  @Roles('staff')
  record(
    @Body() body: RecordConsentDto,
    @CurrentActor() actor: Actor,
    @Req() request: FastifyRequest,
  ): Promise<LedgerEntry> {
    const subject = this.consents.subjectOf(body);
    return this.consents.record(
      decisionOf(subject, body, {
        keyId: actor.keyId,
        requestId: String(request.id),
        defaultNoticeVersion: this.env.KIELTO_NOTICE_VERSION,
      }),
    );
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
  @Roles('staff')
  @ReadsPersonalData({ lookup: true })
  async list(@Query() query: ConsentQueryDto): Promise<LedgerView> {
    const { current, history } = await this.consents.view(this.consents.subjectOf(query));
    return { current, history };
  }
}
