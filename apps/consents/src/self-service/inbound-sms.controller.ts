import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiHeader, ApiTags } from '@nestjs/swagger';
import { Public } from '@kielto/platform';
import { InboundSmsDto } from './dto/inbound-sms.dto';
import { InboundSmsResult, InboundSmsService } from './inbound-sms.service';
import { SmsSignatureGuard } from './sms-signature.guard';

@ApiTags('self-service')
@Controller('v1/inbound')
export class InboundSmsController {
  constructor(private readonly sms: InboundSmsService) {}

  /** SMS gateway webhook: STOP/SEIS/LOPETA withdraw SMS marketing; START is recorded; anything else is ignored. */
  @Post('sms')
  @Public()
  @UseGuards(SmsSignatureGuard)
  @HttpCode(200)
  @ApiHeader({ name: 'X-Kielto-Signature', required: true, description: 'sha256=<hex HMAC-SHA256 of the raw body>' })
  receive(@Body() body: InboundSmsDto): Promise<InboundSmsResult> {
    return this.sms.receive(body);
  }
}
