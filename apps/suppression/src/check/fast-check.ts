import { hash } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Role } from '@kielto/contracts';
import {
  Actor,
  ApiKeyRegistry,
  genRequestId,
  httpRequestDuration,
  PROBLEM_CONTENT_TYPE,
  problem,
  ProblemException,
  REQUEST_ID_HEADER,
} from '@kielto/platform';
import { FreshnessService, StaleStateProblem } from '../freshness/freshness.service';
import { SuppressionEnv } from '../suppression.env';
import { CheckService } from './check.service';

export const CHECK_PATH = '/v1/suppression/check';
const CHECK_ROLES: readonly Role[] = ['admin', 'staff', 'marketing', 'partner'];
const BEARER = /^Bearer\s+(\S+)$/i;
const WINDOW_MS = 60_000;

type RequestListener = (request: IncomingMessage, response: ServerResponse) => void;

/**
 * The single check is the hottest route of the platform — every marketing tool asks before every message — so
 * `GET /v1/suppression/check` is answered at the Node HTTP layer, in front of Fastify. The global Fastify
 * hooks (Helmet's header computation, per-request pino-http logging, Nest's router, guards and pipes) cost
 * several times the decision itself: measured on the 2-core box, a trivial route inside the app answers
 * 4-5x fewer requests per second than the same route on a bare Fastify.
 *
 * The fast path does exactly what the Nest route (CheckController.check, kept as the OpenAPI definition and
 * the fallback for anything this does not recognise) does: the same API-key authentication and roles as
 * ApiKeyGuard, the same per-key rate limit (KIELTO_RATE_LIMIT_PER_MINUTE, fixed one-minute windows), the same
 * validation and decision (CheckService.checkQuery), the same problem+json errors and `x-request-id`, and it
 * records the same request-duration histogram. It sends the headers that matter for a JSON API (nosniff,
 * no-store) and does not log each request (checks carry e-mail addresses; the decision counters and the
 * histogram are the record). Every other request goes to Fastify untouched, and so does every request once the
 * server is closing, so that the graceful shutdown's connection handling applies to checks too.
 */
export function installFastCheck(app: NestFastifyApplication): void {
  const server = app.getHttpServer() as Server;
  const fastify = server.listeners('request') as RequestListener[];
  if (fastify.length !== 1) return; // not the server layout this was written for: leave everything to Fastify
  const next = fastify[0];
  const checks = app.get(CheckService);
  const freshness = app.get(FreshnessService);
  const keys = app.get(ApiKeyRegistry);
  const limit = app.get(SuppressionEnv).KIELTO_RATE_LIMIT_PER_MINUTE;
  const histogram = httpRequestDuration();
  // The labelled series per status, looked up once rather than hashing the labels on every request.
  const series = new Map<number, { observe: (seconds: number) => void }>();
  const observe = (status: number, seconds: number) => {
    let s = series.get(status);
    if (s === undefined) series.set(status, (s = histogram.labels('GET', CHECK_PATH, String(status))));
    s.observe(seconds);
  };
  const logger = new Logger('FastCheck');

  // Known keys by the SHA-256 of the presented key: a lookup by digest reveals nothing about a guessed key,
  // and the registry (constant-time over all keys) is asked only for keys not seen before.
  const known = new Map<string, Actor>();
  const authenticate = (presented: string): Actor | undefined => {
    const digest = hash('sha256', presented, 'base64');
    const cached = known.get(digest);
    if (cached) return cached;
    const actor = keys.authenticate(presented);
    if (actor && known.size < 1000) known.set(digest, actor);
    return actor;
  };

  /** Seconds to wait when the key is over its budget, else 0. */
  const windows = new Map<string, { start: number; count: number }>();
  const rateLimited = (keyId: string): number => {
    const now = Date.now();
    let window = windows.get(keyId);
    if (window === undefined || now - window.start >= WINDOW_MS)
      windows.set(keyId, (window = { start: now, count: 0 }));
    return ++window.count > limit ? Math.max(1, Math.ceil((window.start + WINDOW_MS - now) / 1000)) : 0;
  };

  /** `confirmed`: the second pass after a watermark older than the bound was put to Kafka (already counted). */
  const answer = (
    request: IncomingMessage,
    response: ServerResponse,
    query: string,
    confirmed = false,
    started = process.hrtime.bigint(),
  ): void => {
    const requestId = genRequestId(request);
    let status = 200;
    let body: string;
    let type = 'application/json; charset=utf-8';
    let retryAfter: string | undefined;
    try {
      const header = request.headers.authorization;
      const match = typeof header === 'string' ? BEARER.exec(header) : null;
      const actor = match ? authenticate(match[1]) : undefined;
      if (!actor)
        throw new ProblemException(401, 'unauthorized', 'A valid API key is required: Authorization: Bearer <key>');
      if (!CHECK_ROLES.includes(actor.role)) {
        throw new ProblemException(403, 'forbidden', `The ${actor.role} role may not call this route`);
      }
      const wait = confirmed ? 0 : rateLimited(actor.keyId);
      if (wait > 0) {
        throw new ProblemException(429, 'too-many-requests', 'The rate limit of this API key is exceeded', undefined, {
          'retry-after': String(wait),
        });
      }
      body = checks.checkQueryJson(parseQuery(query), actor);
    } catch (error) {
      if (error instanceof StaleStateProblem && !confirmed) {
        // Rare: the watermark is older than the bound. Ask Kafka before refusing (FreshnessService.untilFresh).
        void freshness.untilFresh().then(() => answer(request, response, query, true, started));
        return;
      }
      const known =
        error instanceof ProblemException ? error : new ProblemException(500, 'internal', 'Unexpected error');
      if (known !== error) logger.error({ err: error }, 'suppression check failed');
      status = known.getStatus();
      retryAfter = known.headers?.['retry-after'];
      type = PROBLEM_CONTENT_TYPE;
      body = JSON.stringify({
        ...problem(status, known.message, known.problemType, known.fieldErrors),
        instance: CHECK_PATH,
        requestId,
      });
    }
    // One writeHead with a flat list: no per-header setHeader bookkeeping on the hottest route.
    const headers = [
      'content-type',
      type,
      'content-length',
      String(Buffer.byteLength(body)),
      'cache-control',
      'no-store',
      'x-content-type-options',
      'nosniff',
      REQUEST_ID_HEADER,
      requestId,
    ];
    if (retryAfter !== undefined) headers.push('retry-after', retryAfter);
    response.writeHead(status, headers);
    response.end(body);
    observe(status, Number(process.hrtime.bigint() - started) / 1e9);
  };

  server.removeListener('request', next);
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const url = request.url;
    // Once the server is closing (no longer listening), Fastify answers: it ends each kept-alive connection after
    // its response, so a client checking in a loop cannot hold the shutdown open.
    if (server.listening && request.method === 'GET' && url !== undefined && url.startsWith(CHECK_PATH)) {
      const rest = url.length === CHECK_PATH.length ? '' : url[CHECK_PATH.length];
      // (A body sent with a GET anyway is discarded by Node once the response ends.)
      if (rest === '') return answer(request, response, '');
      if (rest === '?') return answer(request, response, url.slice(CHECK_PATH.length + 1));
    }
    next.call(server, request, response);
  });
}
