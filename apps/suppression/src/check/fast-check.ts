import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import { Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Role } from '@kielto/contracts';
import {
  AccessPolicy,
  Actor,
  Admission,
  AuditTrail,
  clientAddress,
  isDenial,
  genRequestId,
  httpRequestDuration,
  PROBLEM_CONTENT_TYPE,
  problem,
  ProblemException,
  REQUEST_ID_HEADER,
  ROLES_KEY,
} from '@kielto/platform';
import { FreshnessService, StaleStateProblem } from '../freshness/freshness.service';
import { SuppressionEnv } from '../suppression.env';
import { CheckController } from './check.controller';
import { CheckService } from './check.service';

export const CHECK_PATH = '/v1/suppression/check';

type RequestListener = (request: IncomingMessage, response: ServerResponse) => void;

/**
 * The single check is the hottest route of the platform — every marketing tool asks before every message — so
 * `GET /v1/suppression/check` is answered at the Node HTTP layer, in front of Fastify. The global Fastify
 * hooks (Helmet's header computation, per-request pino-http logging, Nest's router, guards and pipes) cost
 * several times the decision itself: measured on the 2-core box, a trivial route inside the app answers
 * 4-5x fewer requests per second than the same route on a bare Fastify.
 *
 * The fast path does exactly what the Nest route (CheckController.check, kept as the OpenAPI definition and
 * the fallback for anything this does not recognise) does: the same AccessPolicy instance decides who may call
 * and at what rate (so `%63heck` or HEAD through Fastify spend the same budget), denials are audited, the same
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
  const policy = app.get(AccessPolicy);
  const audit = app.get(AuditTrail);
  const trustedHops = app.get(SuppressionEnv).KIELTO_TRUST_PROXY;
  const histogram = httpRequestDuration();
  // The labelled series per status, looked up once rather than hashing the labels on every request.
  const series = new Map<number, { observe: (seconds: number) => void }>();
  const observe = (status: number, seconds: number) => {
    let s = series.get(status);
    if (s === undefined) series.set(status, (s = histogram.labels('GET', CHECK_PATH, String(status))));
    s.observe(seconds);
  };
  const logger = new Logger('FastCheck');
  // The roles of the Nest route this answers for, read from its @Roles: one list, whichever door a check comes in by.
  const checkRoles = app.get(Reflector).get<Role[] | undefined>(ROLES_KEY, CheckController.prototype.check);
  if (!checkRoles || checkRoles.length === 0) throw new Error('CheckController.check declares no @Roles');

  /**
   * `admitted`: the caller's admission when decided already — a sign-in token verified asynchronously, or the second
   * pass after a watermark older than the bound was put to Kafka (`refreshed`: the caller was admitted, and counted
   * against its budget, by the first pass).
   */
  const answer = (
    request: IncomingMessage,
    response: ServerResponse,
    query: string,
    admitted?: Admission,
    refreshed = false,
    started = process.hrtime.bigint(),
  ): void => {
    const requestId = genRequestId(request);
    let status = 200;
    let body: string;
    let type = 'application/json; charset=utf-8';
    let retryAfter: string | undefined;
    let actor: Actor | undefined;
    try {
      // The platform's one access policy, the same instance as the Nest routes': one budget per key at every door.
      const admission =
        admitted ?? policy.admit(request.headers.authorization, checkRoles, clientAddress(request, trustedHops));
      if (admission instanceof Promise) {
        // A sign-in token: verified off this tick, then answered like any other call.
        void admission.then((decided) => answer(request, response, query, decided, false, started));
        return;
      }
      if (isDenial(admission)) {
        actor = admission.actor;
        const headers = admission.retryAfter ? { 'retry-after': String(admission.retryAfter) } : undefined;
        throw new ProblemException(admission.status, admission.type, admission.detail, undefined, headers);
      }
      actor = admission;
      body = checks.checkQueryJson(parseQuery(query), actor);
    } catch (error) {
      if (error instanceof StaleStateProblem && actor !== undefined && !refreshed) {
        // Rare: the watermark is older than the bound. Ask Kafka before refusing (FreshnessService.untilFresh).
        const caller = actor;
        void freshness.untilFresh().then(() => answer(request, response, query, caller, true, started));
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
    if (audit.shouldRecord('GET', actor, status)) {
      void audit.record({ actor, method: 'GET', route: CHECK_PATH, params: {}, status, requestId });
    }
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
