import { startService, ServiceApp } from '@kielto/platform';
import { AppModule } from './app.module';

export function start(port?: number): Promise<ServiceApp> {
  return startService(AppModule, {
    title: 'kielto directory-bans',
    description:
      'Directory-publication bans (luettelotietojen julkaisukielto, R9) and the publishable directory listing that directory outlets receive.',
    consumer: { groupId: 'kielto-directory-bans' },
    port,
    ndjsonRoutes: ['/v1/directory-bans/import'],
  });
}
