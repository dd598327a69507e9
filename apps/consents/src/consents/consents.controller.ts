import { Body, Controller, Get, HttpCode, Post, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Actor, CurrentActor, ReadsPersonalData, Roles } from '@kielto/platform';
import { ConsentsEnv } from '../consents.env';
import { ConsentsService, LedgerEntry, LedgerView } from './consents.service';
import { ConsentQueryDto } from './dto/consent-query.dto';
import { RecordConsentDto } from './dto/record-consent.dto';

@ApiTags('consents')
@ApiBearerAuth()
@Controller('v1/consents')
export class ConsentsController {
  constructor(
    private readonly consents: ConsentsService,
    private readonly env: ConsentsEnv,
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
    const permits = body.decision === 'grant' || body.decision === 'lift-prohibition';
    return this.consents.record({
      subject,
      channel: body.channel,
      purpose: body.purpose,
      decision: body.decision,
      source: body.source,
      expiresAt: body.expiresAt,
      evidence: {
        noticeVersion: body.evidence?.noticeVersion ?? (permits ? this.env.KIELTO_NOTICE_VERSION : undefined),
        capturedBy: actor.keyId,
        requestId: String(request.id),
        agent: body.evidence?.capturedBy,
        reference: body.evidence?.reference,
      },
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
