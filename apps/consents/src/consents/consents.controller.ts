import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Actor, CurrentActor, Roles } from '@kielto/platform';
import { ConsentsService, LedgerEntry, LedgerView } from './consents.service';
import { ConsentQueryDto } from './dto/consent-query.dto';
import { RecordConsentDto } from './dto/record-consent.dto';

@ApiTags('consents')
@ApiBearerAuth()
@Controller('v1/consents')
export class ConsentsController {
  constructor(private readonly consents: ConsentsService) {}

  /** Appends a decision to the subject's ledger, with its evidence (who captured it defaults to the API key). */
  @Post()
  @HttpCode(201)
  @Roles('staff')
  record(@Body() body: RecordConsentDto, @CurrentActor() actor: Actor): Promise<LedgerEntry> {
    const subject = this.consents.subjectOf(body);
    return this.consents.record({
      subject,
      channel: body.channel,
      purpose: body.purpose,
      decision: body.decision,
      source: body.source,
      expiresAt: body.expiresAt,
      evidence: {
        noticeVersion: body.evidence?.noticeVersion,
        capturedBy: body.evidence?.capturedBy ?? actor.keyId,
        reference: body.evidence?.reference,
      },
    });
  }

  /** The effective state per channel × purpose and every entry that applies, in order, with its evidence. */
  @Get()
  @Roles('staff')
  async list(@Query() query: ConsentQueryDto): Promise<LedgerView> {
    const { current, history } = await this.consents.view(this.consents.subjectOf(query));
    return { current, history };
  }
}
