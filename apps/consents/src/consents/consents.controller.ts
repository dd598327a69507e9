import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Actor, CurrentActor, Roles } from '@kielto/platform';
import { ConsentsService, LedgerEntry } from './consents.service';
import { ConsentQueryDto } from './dto/consent-query.dto';
import { RecordConsentDto } from './dto/record-consent.dto';

@ApiTags('consents')
@ApiBearerAuth()
@Controller('v1/consents')
export class ConsentsController {
  constructor(private readonly consents: ConsentsService) {}

  @Post()
  @HttpCode(201)
  @Roles('staff')
  record(@Body() body: RecordConsentDto, @CurrentActor() actor: Actor): Promise<LedgerEntry> {
    return this.consents.record(body, actor);
  }

  @Get()
  @Roles('staff')
  async list(@Query() query: ConsentQueryDto): Promise<{ current: LedgerEntry[]; history: LedgerEntry[] }> {
    const history = await this.consents.history(query);
    return { current: history, history };
  }
}
