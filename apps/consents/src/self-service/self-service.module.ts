import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { ConsentsEnv, parseUnsubscribeKeys } from '../consents.env';
import { ConsentsModule } from '../consents/consents.module';
import { InboundSmsController } from './inbound-sms.controller';
import { InboundSmsService } from './inbound-sms.service';
import { LinkRateLimiter } from './link-rate-limiter';
import { LinkRevocationRepository } from './link-revocation.repository';
import { PreferencePageController } from './preference-page.controller';
import { PreferencePageService } from './preference-page.service';
import { LinkRevocationDoc, LinkRevocationSchema } from './schemas/link-revocation.schema';
import { SmsWebhookDeliveryDoc, SmsWebhookDeliverySchema } from './schemas/sms-webhook-delivery.schema';
import { SmsSignatureGuard } from './sms-signature.guard';
import { SmsWebhookDeliveryRepository } from './sms-webhook-delivery.repository';
import { UnsubscribeLinksController } from './unsubscribe-links.controller';
import { UnsubscribeLinksService } from './unsubscribe-links.service';
import { UnsubscribeTokenCodec } from './unsubscribe-token';

/** Self-service opt-out: one-click unsubscribe links (RFC 8058), the preference page, and SMS STOP. */
@Module({
  imports: [
    ConsentsModule,
    MongooseModule.forFeature([
      { name: LinkRevocationDoc.name, schema: LinkRevocationSchema },
      { name: SmsWebhookDeliveryDoc.name, schema: SmsWebhookDeliverySchema },
    ]),
  ],
  controllers: [UnsubscribeLinksController, PreferencePageController, InboundSmsController],
  providers: [
    {
      provide: UnsubscribeTokenCodec,
      useFactory: (env: ConsentsEnv) =>
        new UnsubscribeTokenCodec(
          parseUnsubscribeKeys(env.KIELTO_UNSUBSCRIBE_KEYS),
          env.KIELTO_UNSUBSCRIBE_LINK_TTL_DAYS,
        ),
      inject: [ConsentsEnv],
    },
    // 10 POSTs per link a minute: more than a person clicking, far fewer than a script filling the ledger.
    { provide: LinkRateLimiter, useFactory: () => new LinkRateLimiter(10, 60_000) },
    LinkRevocationRepository,
    UnsubscribeLinksService,
    PreferencePageService,
    InboundSmsService,
    SmsSignatureGuard,
    SmsWebhookDeliveryRepository,
  ],
})
export class SelfServiceModule {}
