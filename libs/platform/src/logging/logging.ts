import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Params } from 'nestjs-pino';

/**
 * Paths that may hold personal data or secrets anywhere in a log object. Bodies are never logged; URLs are
 * logged without their query string (checks carry e-mail addresses and phone numbers there).
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-kielto-signature"]',
  'req.query',
  'req.body',
  '*.email',
  '*.emails',
  '*.phone',
  '*.phones',
  '*.personalIdentityCode',
  '*.identityCode',
  '*.name',
  '*.address',
  '*.contactPersons',
  '*.from',
  '*.text',
];

/** The request id: the caller's `X-Request-Id` when it is 1-64 of [A-Za-z0-9_-], else a new UUID. */
export function genRequestId(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && /^[\w-]{1,64}$/.test(given) ? given : randomUUID();
}

const QUIET_ROUTES = /^\/(health|metrics|docs)/;

export function pinoParams(level: string): Params {
  return {
    pinoHttp: {
      level,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      // Fastify has set the id already (pino-http reuses req.id); this covers any other server.
      genReqId: genRequestId,
      autoLogging: { ignore: (req: IncomingMessage) => QUIET_ROUTES.test(req.url ?? '') },
      serializers: {
        req: (req: { id: string; method: string; url: string }) => ({
          id: req.id,
          method: req.method,
          // Self-service paths hold a signed token that works like a password for that person's preferences.
          path: String(req.url)
            .split('?')[0]
            .replace(/^\/u\/[^/]+/, '/u/[token]'),
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      customSuccessMessage: () => 'request completed',
      customErrorMessage: () => 'request failed',
    },
  };
}
