import { startService, ServiceApp } from '@kielto/platform';
import { AppModule } from './app.module';
import { parseSimpleMultipart } from './self-service/multipart-form';

/** Self-service pages take HTML form posts; RFC 8058 one-click POSTs may also come as multipart/form-data. */
const FORM_TYPES = ['application/x-www-form-urlencoded', 'multipart/form-data'] as const;

export function start(port?: number): Promise<ServiceApp> {
  return startService(AppModule, {
    title: 'kielto consents',
    description:
      'The ledger of direct-marketing permissions and prohibitions, with proof (GDPR Art 7, Art 21), and self-service opt-out.',
    consumer: { groupId: 'kielto-consents' },
    port,
    ndjsonRoutes: ['/v1/consents/import'],
    extraContentTypes: (path) => (path.startsWith('/u/') ? FORM_TYPES : []),
    configure: (app) => {
      app
        .getHttpAdapter()
        .getInstance()
        .addContentTypeParser(
          'multipart/form-data',
          { parseAs: 'buffer', bodyLimit: 16_384 },
          (request, body, done) => {
            const fields = parseSimpleMultipart(String(request.headers['content-type']), body as Buffer);
            if (fields) done(null, fields);
            else done(Object.assign(new Error('The multipart body could not be read'), { statusCode: 400 }), undefined);
          },
        );
    },
  });
}
