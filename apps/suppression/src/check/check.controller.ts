import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Actor, CurrentActor, Roles } from '@kielto/platform';
import { Decision } from '../decision/decision.types';
import { FreshnessService } from '../freshness/freshness.service';
import { CheckService } from './check.service';
import { CheckQueryDto } from './dto/check-query.dto';

@ApiTags('suppression')
@ApiBearerAuth()
@Controller('v1/suppression')
export class CheckController {
  constructor(
    private readonly checks: CheckService,
    private readonly freshness: FreshnessService,
  ) {}

  /** May this contact be marketed to on this channel for this purpose? */
  @Get('check')
  @Roles('staff', 'marketing', 'partner')
  check(@Query() query: CheckQueryDto, @CurrentActor() actor: Actor): Decision & { asOf: string } {
    this.checks.assertContact(query, actor, 'email');
    const asOf = this.freshness.assertFresh();
    return { ...this.checks.check(query, query.channel, query.purpose), asOf: new Date(asOf).toISOString() };
  }
}
