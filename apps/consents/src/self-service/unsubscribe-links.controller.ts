import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Actor, CurrentActor, Roles } from '@kielto/platform';
import { CreateUnsubscribeLinkDto, UnsubscribeLinkDto } from './dto/create-unsubscribe-link.dto';
import { RevokeUnsubscribeLinksDto, UnsubscribeLinkRevocationDto } from './dto/revoke-unsubscribe-links.dto';
import { UnsubscribeLinksService } from './unsubscribe-links.service';

@ApiTags('self-service')
@ApiBearerAuth()
@Controller('v1/unsubscribe-links')
export class UnsubscribeLinksController {
  constructor(private readonly links: UnsubscribeLinksService) {}

  /** A signed link (and the List-Unsubscribe headers) for one subject, channel, purpose and campaign. */
  @Post()
  @HttpCode(201)
  @Roles('marketing', 'staff')
  @ApiOperation({
    summary: 'Make a one-click unsubscribe link (RFC 8058) for one subject, channel, purpose and campaign',
    description:
      'The link can only withdraw consent or prohibit marketing (never grant or lift a prohibition), works for ' +
      '`KIELTO_UNSUBSCRIBE_LINK_TTL_DAYS` days (default 400), and carries the id of the key that made it, which ' +
      'is kept as `evidence.linkKeyId` of every decision made through it.',
  })
  @ApiCreatedResponse({ type: UnsubscribeLinkDto })
  create(@Body() body: CreateUnsubscribeLinkDto, @CurrentActor() actor: Actor): UnsubscribeLinkDto {
    return this.links.create(body, actor.keyId);
  }

  /** Staff: every unsubscribe link made so far for the subject stops working. */
  @Post('revocations')
  @HttpCode(201)
  @Roles('staff')
  @ApiOperation({
    summary: "Revoke every unsubscribe link made so far for a subject (e.g. a person's link leaked)",
    description:
      'Links made at or before `revokedBefore` answer 410 Gone and write nothing; links made afterwards work. ' +
      "Revoking a customer id, or any of a customer's e-mail addresses or phone numbers, revokes the links of the " +
      'customer and of all their identifiers. Repeating it moves the instant forward.',
  })
  @ApiCreatedResponse({ type: UnsubscribeLinkRevocationDto })
  revoke(
    @Body() body: RevokeUnsubscribeLinksDto,
    @CurrentActor() actor: Actor,
    @Req() request: FastifyRequest,
  ): Promise<UnsubscribeLinkRevocationDto> {
    return this.links.revoke(body, actor.keyId, String(request.id));
  }
}
