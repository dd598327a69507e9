import { Module } from '@nestjs/common';
import { PlatformModule } from '@kielto/platform';
import { ConsentsEnv } from './consents.env';
import { ConsentsModule } from './consents/consents.module';

@Module({
  imports: [
    PlatformModule.forService({ service: { name: 'consents', defaultPort: 3002 }, env: ConsentsEnv }),
    ConsentsModule,
  ],
})
export class AppModule {}
