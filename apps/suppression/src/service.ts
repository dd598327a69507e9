import { startService, ServiceApp } from '@kielto/platform';
import { AppModule } from './app.module';

export function start(port?: number): Promise<ServiceApp> {
  const instance = process.env.SUPPRESSION_INSTANCE_ID ?? `${process.env.HOST ?? '127.0.0.1'}-${port ?? process.env.PORT ?? 3004}`;
  return startService(AppModule, {
    title: 'kielto suppression',
    description:
      'The authoritative opt-out list and the send decision. Every marketing tool asks here before an e-mail, SMS, call or letter.',
    consumer: { groupId: `kielto-suppression-${instance}`, fromBeginning: true, watermarkIntervalMs: 250 },
    port,
  });
}
