import { KafkaService, NDJSON, ndjsonBody, ServiceApp, startService } from '@kielto/platform';
import { createAppModule } from './app.module';
import { installFastCheck } from './check/fast-check';
import { CSV, REGISTERS_PATH } from './registers/registers.controller';

const NDJSON_ROUTES = ['/v1/suppression/check/stream', '/v1/suppression/entries/import'];

/**
 * Body limit of the bulk routes (bulk check, campaign clearance). The global KIELTO_BODY_LIMIT (1 MiB) stays
 * for every other route; 10 000 contacts with long refs and addresses need a few MB, so these two routes get
 * their own limit (Fastify's per-route `bodyLimit`, set from an onRoute hook since Nest has no decorator for
 * it). The NDJSON routes read the raw request stream and are not bounded by a body limit at all.
 */
export const BULK_BODY_LIMIT = 16 * 1024 * 1024;
const BULK_ROUTES = new Set(['/v1/suppression/check', '/v1/campaigns/:campaignId/clearance']);

export function start(port?: number): Promise<ServiceApp> {
  const instance =
    process.env.SUPPRESSION_INSTANCE_ID ?? `${process.env.HOST ?? '127.0.0.1'}-${port ?? process.env.PORT ?? 3004}`;
  // The instance id names the consumer group and the snapshot: the module reads it from its environment.
  return startService(createAppModule({ ...process.env, SUPPRESSION_INSTANCE_ID: instance }), {
    title: 'kielto suppression',
    description:
      'The authoritative opt-out list and the send decision. Every marketing tool asks here before an e-mail, SMS, call or letter.',
    // Resumes where its snapshot (plus what it consumed since) ends, whatever the group committed.
    consumer: {
      groupId: `kielto-suppression-${instance}`,
      fromBeginning: true,
      watermarkIntervalMs: 250,
      resumeFrom: 'progress',
      maxBytesPerPartition: 4 * 1024 * 1024,
    },
    port,
    ndjsonRoutes: NDJSON_ROUTES,
    // Register snapshots (any name under the path, so that an unknown register is a 404, not a 415): streamed too.
    extraContentTypes: (path) => (path.startsWith(REGISTERS_PATH) ? [NDJSON, CSV] : []),
    configure: async (app) => {
      // The consumer subscribes before the modules' init hooks run (hybrid app): make sure every topic it
      // reads exists first, even when suppression is the first service started on a fresh cluster.
      await app.get(KafkaService).ensureTopics();
      const fastify = app.getHttpAdapter().getInstance();
      fastify.addContentTypeParser(CSV, (_request, payload, done) => done(null, ndjsonBody(payload)));
      fastify.addHook('onRoute', (route) => {
        const methods = Array.isArray(route.method) ? route.method : [route.method];
        if (methods.includes('POST') && BULK_ROUTES.has(route.url ?? '')) route.bodyLimit = BULK_BODY_LIMIT;
      });
      installFastCheck(app);
    },
  });
}
