import { Module } from '@nestjs/common';
import { ConsentsEnv, parseUnsubscribeKeys } from '../consents.env';
import { ConsentsModule } from '../consents/consents.module';
import { InboundSmsController } from './inbound-sms.controller';
import { InboundSmsService } from './inbound-sms.service';
import { PreferencePageController } from './preference-page.controller';
import { PreferencePageService } from './preference-page.service';
import { SmsSignatureGuard } from './sms-signature.guard';
import { UnsubscribeLinksController } from './unsubscribe-links.controller';
import { UnsubscribeLinksService } from './unsubscribe-links.service';
import { UnsubscribeTokenCodec } from './unsubscribe-token';

/** Self-service opt-out: one-click unsubscribe links (RFC 8058), the preference page, and SMS STOP. */
@Module({
  imports: [ConsentsModule],
  controllers: [UnsubscribeLinksController, PreferencePageController, InboundSmsController],
  providers: [
    {
      provide: UnsubscribeTokenCodec,
      useFactory: (env: ConsentsEnv) => new UnsubscribeTokenCodec(parseUnsubscribeKeys(env.KIELTO_UNSUBSCRIBE_KEYS)),
      inject: [ConsentsEnv],
    },
    UnsubscribeLinksService,
    PreferencePageService,
    InboundSmsService,
    SmsSignatureGuard,
  ],
})
export class SelfServiceModule {}
