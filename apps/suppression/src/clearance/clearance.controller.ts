import { Body, Controller, Get, Header, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiCreatedResponse, ApiTags } from '@nestjs/swagger';
import { Actor, CurrentActor, Roles } from '@kielto/platform';
import { BulkCheckDto } from '../check/dto/check-query.dto';
import { ClearanceRecord } from './clearance.repository';
import { ClearanceService } from './clearance.service';

@ApiTags('campaigns')
@ApiBearerAuth()
@Controller('v1/campaigns/:campaignId')
export class ClearanceController {
  constructor(private readonly clearances: ClearanceService) {}

  /**
   * Checks a campaign's contacts (same body and limits as POST /v1/suppression/check) and stores an audit
   * record `{id, campaignId, at, actor, channel, purpose, total, allowed, suppressed, inputSha256, asOf}`;
   * answers 201 with the record and the results.
   */
  @Post('clearance')
  @Roles('staff', 'marketing')
  @Header('content-type', 'application/json; charset=utf-8')
  @ApiBody({ type: BulkCheckDto })
  @ApiCreatedResponse({ description: 'the stored audit record with `results` in input order' })
  async clear(
    @Param('campaignId') campaignId: string,
    @Body() body: unknown,
    @CurrentActor() actor: Actor,
  ): Promise<string> {
    return (await this.clearances.clear(campaignId, body, actor)).json;
  }

  /**
   * The campaign's clearance records, newest first (a JSON array): counts and an input hash, no personal data. The
   * DPO reads them too (the console's clearance view).
   */
  @Get('clearances')
  @Roles('staff', 'marketing', 'dpo')
  list(@Param('campaignId') campaignId: string): Promise<ClearanceRecord[]> {
    return this.clearances.list(campaignId);
  }
}
