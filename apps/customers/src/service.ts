import { startService, ServiceApp } from '@kielto/platform';
import { AppModule } from './app.module';

export function start(port?: number): Promise<ServiceApp> {
  return startService(AppModule, {
    title: 'kielto customers',
    description:
      'The customer register and the data subject’s rights: access, rectification, restriction, erasure and the export.',
    port,
    ndjsonRoutes: ['/v1/customers/import', '/v1/customers/population-register-bans/import'],
  });
}
