import { Module, Type } from '@nestjs/common';
import { PlatformModule } from '@kielto/platform';
import { SuppressionModule } from './suppression.module';
import { SuppressionEnv } from './suppression.env';

/**
 * The app module, configured from the environment as it is when called (not at import time), so that one
 * process can start several instances — tests compare a live store with one rebuilt under another database
 * prefix and instance id.
 */
export function createAppModule(rawEnv: Record<string, string | undefined> = process.env): Type<unknown> {
  @Module({
    imports: [
      PlatformModule.forService({ service: { name: 'suppression', defaultPort: 3004 }, env: SuppressionEnv, rawEnv }),
      SuppressionModule,
    ],
  })
  class AppModule {}
  return AppModule;
}
