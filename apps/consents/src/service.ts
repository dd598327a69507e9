import { startService, ServiceApp } from '@kielto/platform';
import { AppModule } from './app.module';

export function start(port?: number): Promise<ServiceApp> {
  return startService(AppModule, {
    title: 'kielto consents',
    description:
      'The ledger of direct-marketing permissions and prohibitions, with proof (GDPR Art 7, Art 21), and self-service opt-out.',
    consumer: { groupId: 'kielto-consents' },
    port,
  });
}
