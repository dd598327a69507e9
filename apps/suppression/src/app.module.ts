import { Module } from '@nestjs/common';
import { PlatformModule } from '@kielto/platform';
import { SuppressionModule } from './suppression.module';
import { SuppressionEnv } from './suppression.env';

@Module({
  imports: [
    PlatformModule.forService({ service: { name: 'suppression', defaultPort: 3004 }, env: SuppressionEnv }),
    SuppressionModule,
  ],
})
export class AppModule {}
