import { Module } from '@nestjs/common';
import { PlatformModule } from '@kielto/platform';
import { CustomersEnv } from './customers.env';
import { CustomersModule } from './customers/customers.module';
import { RequestsModule } from './requests/requests.module';
import { RetentionModule } from './retention/retention.module';
import { SubjectsModule } from './subjects/subjects.module';

@Module({
  imports: [
    PlatformModule.forService({
      service: { name: 'customers', defaultPort: 3001 },
      env: CustomersEnv,
      secrets: (env) => ({
        KIELTO_PII_KEYS: env.KIELTO_PII_KEYS,
        KIELTO_PII_HASH_KEY: env.KIELTO_PII_HASH_KEY,
        KIELTO_SERVICE_KEY: env.KIELTO_SERVICE_KEY,
      }),
      // GET /v1/audit?subject= answers from all four services, asked like the data-subject export.
      subjectReadSources: (env) => ({
        serviceKey: env.KIELTO_SERVICE_KEY,
        timeoutMs: env.KIELTO_EXPORT_TIMEOUT_MS,
        urls: {
          consents: env.CONSENTS_URL,
          'directory-bans': env.DIRECTORY_BANS_URL,
          suppression: env.SUPPRESSION_URL,
        },
      }),
    }),
    CustomersModule,
    RetentionModule,
    RequestsModule,
    SubjectsModule,
  ],
})
export class AppModule {}
