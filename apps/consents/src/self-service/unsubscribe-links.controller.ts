import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Roles } from '@kielto/platform';
import { CreateUnsubscribeLinkDto, UnsubscribeLinkDto } from './dto/create-unsubscribe-link.dto';
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
  create(@Body() body: CreateUnsubscribeLinkDto): UnsubscribeLinkDto {
    return this.links.create(body);
  }
}
