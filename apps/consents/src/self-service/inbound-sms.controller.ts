import { Body, Controller, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Public } from '@kielto/platform';
import { InboundSmsDto, InboundSmsResultDto } from './dto/inbound-sms.dto';
import { InboundSmsResult, InboundSmsService } from './inbound-sms.service';
import { SmsSignatureGuard } from './sms-signature.guard';

@ApiTags('self-service')
@Controller('v1/inbound')
export class InboundSmsController {
  constructor(private readonly sms: InboundSmsService) {}

  /** SMS gateway webhook: STOP/SEIS/LOPETA withdraw SMS marketing; START is recorded; anything else is ignored. */
  @Post('sms')
  @Public('limited')
  @UseGuards(SmsSignatureGuard)
  @HttpCode(200)
  @ApiOperation({
    summary: 'SMS gateway webhook: STOP/SEIS/LOPETA withdraw SMS marketing; START is recorded as evidence only',
    description:
      'Signed instead of keyed: `X-Kielto-Signature: sha256=<hex HMAC-SHA256 of "<X-Kielto-Timestamp>.<raw body>">` ' +
      'with KIELTO_SMS_WEBHOOK_SECRET. 401 when either header is missing, the signature does not match or the ' +
      'timestamp is more than 5 minutes from now; 409 when the same signed request was received before (to ' +
      'resend, sign again with a new timestamp).',
  })
  @ApiHeader({
    name: 'X-Kielto-Timestamp',
    required: true,
    description: 'Unix time in seconds when the gateway signed',
  })
  @ApiHeader({
    name: 'X-Kielto-Signature',
    required: true,
    description: 'sha256=<hex HMAC-SHA256 of "<X-Kielto-Timestamp>.<raw body>">',
  })
  @ApiOkResponse({ type: InboundSmsResultDto })
  receive(@Body() body: InboundSmsDto, @Req() request: FastifyRequest): Promise<InboundSmsResult> {
    return this.sms.receive(body, String(request.id));
  }
}
