/**
 * The baseline for the single-check benchmark: a bare Fastify route that parses the same query and returns a
 * response of the same shape, with no auth, validation, index or logging. kielto's figure is reported as a
 * ratio of this one, measured in the same run on the same machine.
 */
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/v1/suppression/check', (request) => {
  const q = request.query as Record<string, string>;
  return { decision: q.email ? 'suppress' : 'allow', reasons: [], asOf: new Date().toISOString() };
});
void app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' }).then((address) => {
  process.stdout.write(`LISTENING ${address}\n`);
});
