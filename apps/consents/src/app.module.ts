import { Module } from '@nestjs/common';
import { PlatformModule } from '@kielto/platform';
import { ConsentsEnv, parseUnsubscribeKeys } from './consents.env';
import { ConsentsModule } from './consents/consents.module';
import { SelfServiceModule } from './self-service/self-service.module';

@Module({
  imports: [
    PlatformModule.forService({
      service: { name: 'consents', defaultPort: 3002 },
      env: ConsentsEnv,
      // Production refuses development defaults and short secrets for these too.
      secrets: (env) => ({
        KIELTO_SMS_WEBHOOK_SECRET: env.KIELTO_SMS_WEBHOOK_SECRET,
        KIELTO_SERVICE_KEY: env.KIELTO_SERVICE_KEY,
        ...Object.fromEntries(
          parseUnsubscribeKeys(env.KIELTO_UNSUBSCRIBE_KEYS).map(({ kid, secret }) => [
            `KIELTO_UNSUBSCRIBE_KEYS (${kid})`,
            secret,
          ]),
        ),
      }),
      publicUrls: (env) => ({ KIELTO_PUBLIC_URL: env.KIELTO_PUBLIC_URL }),
    }),
    ConsentsModule,
    SelfServiceModule,
  ],
})
export class AppModule {}
