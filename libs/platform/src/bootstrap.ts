import fastifyHelmet from '@fastify/helmet';
import type { Server } from 'node:http';
import { INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { AuditTrail } from './audit/audit-trail.service';
import { RequestWithAuditDetails, RequestWithReadSubjects } from './audit/personal-data-read';
import { AuthenticatedRequest } from './auth/roles.decorator';
import { ServiceConfig } from './config/service-config';
import {
  createValidationPipe,
  problem,
  PROBLEM_CONTENT_TYPE,
  problemFromFrameworkError,
  ProblemDetailsFilter,
} from './http/problem';
import { ConsumerProgress } from './kafka/consumer-progress';
import { KafkaEventsServer, KafkaEventsServerOptions } from './kafka/kafka-events.server';
import { KafkaService } from './kafka/kafka.service';
import { httpRequestDuration } from './metrics/metrics';
import { completeOpenApiDocument, REQUEST_ID_HEADER, routeAccessByOperationId } from './docs/openapi-document';
import { genRequestId } from './logging/logging';
import { NDJSON, ndjsonBody } from './import/ndjson-body';
import { AccessPolicy, Admission, Denial, isDenial } from './security/access-policy';
import { RouteRule, routeRules } from './security/route-rules';

export interface ServiceApp {
  app: NestFastifyApplication;
  url: string;
  events?: KafkaEventsServer;
}

export interface BootstrapOptions {
  title: string;
  description: string;
  /** Consumer settings when the app has @EventPattern handlers. */
  consumer?: KafkaEventsServerOptions;
  /** Listen on this port instead of the configured one (tests use 0). */
  port?: number;
  /** Content types a route accepts besides application/json (e.g. HTML forms). */
  extraContentTypes?: (path: string) => readonly string[];
  /**
   * Routes that take application/x-ndjson (bulk imports, streamed checks): their handler gets the raw request stream
   * (`ndjsonStream(body)`) and reads it line by line, so no body limit applies to them; they bound it themselves.
   */
  ndjsonRoutes?: readonly string[];
  /** Hook to adjust the app before listening (extra content-type parsers, raw body…). */
  configure?: (app: NestFastifyApplication) => void | Promise<void>;
}

/** Creates a hybrid HTTP + Kafka service with the house conventions and starts it. */
export async function startService(module: Type<unknown>, options: BootstrapOptions): Promise<ServiceApp> {
  const app = await createServiceApp(module, options);
  const config = app.get(ServiceConfig);
  let events: KafkaEventsServer | undefined;
  // Initialise first: topics are created in onModuleInit, and consumers may only subscribe after that.
  await app.init();
  if (options.consumer) {
    events = new KafkaEventsServer(app.get(KafkaService), options.consumer, app.get(ConsumerProgress));
    app.connectMicroservice({ strategy: events }, { inheritAppConfig: false });
    await app.startAllMicroservices();
  }
  closeGracefullyOnSignals(app, events);
  await app.listen({ port: options.port ?? config.port, host: config.env.HOST });
  // The sign-in provider's keys ahead of the first token; an unreachable provider is logged, never fatal.
  void app.get(AccessPolicy).tokens?.warmUp();
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  return { app, url: `http://${config.env.HOST}:${port}`, events };
}

/**
 * SIGTERM/SIGINT, in the order that loses nothing: stop taking requests and let those in flight finish (their
 * events are on Kafka before they answer), stop consuming (the batch in hand completes and its offsets are
 * committed), then Nest's shutdown hooks publish whatever the outbox still holds and close Kafka and the database.
 * Nest's own enableShutdownHooks closes the HTTP server only after those hooks: writes kept arriving during the
 * final outbox flush, which under steady load never ended, and writes acknowledged after it stayed unpublished.
 */
function closeGracefullyOnSignals(app: NestFastifyApplication, events?: KafkaEventsServer): void {
  const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];
  const onSignal = (signal: NodeJS.Signals) => {
    for (const s of signals) process.removeListener(s, onSignal);
    const logger = app.get(Logger);
    logger.log({ signal }, 'shutting down: draining requests, then consumers, then the outbox');
    void (async () => {
      try {
        await app.getHttpAdapter().close();
        logger.log('shutdown: requests drained');
        await events?.close();
        logger.log('shutdown: consumers stopped');
        await app.close();
      } catch (error) {
        logger.error({ err: error }, 'error during shutdown');
      } finally {
        process.kill(process.pid, signal);
      }
    })();
  };
  for (const s of signals) process.on(s, onSignal);
}

export async function createServiceApp(
  module: Type<unknown>,
  options: BootstrapOptions,
): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: Number(process.env.KIELTO_BODY_LIMIT ?? 1_048_576),
    // Deep JSON is rejected by the parser's depth guard below; prototype pollution attempts are errors.
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    return503OnClosing: true,
    // On close, idle keep-alive connections are closed at once and busy ones after their response (see the
    // onSend hook below); otherwise a client's idle connection would hold the shutdown for the keep-alive timeout.
    forceCloseConnections: 'idle',
    // Path parameters may be signed tokens (self-service links, /u/<token>), longer than Fastify's default 100.
    routerOptions: { maxParamLength: 1024 },
    // The caller's X-Request-Id when well-formed, else a UUID: the same id in logs, problems and the response header.
    genReqId: genRequestId,
    // Client addresses (rate limits per address) come from X-Forwarded-For only behind that many trusted proxies.
    trustProxy: Number(process.env.KIELTO_TRUST_PROXY ?? 0) || false,
    // Slow clients cannot hold a connection: the whole request within requestTimeout, no socket idle for longer
    // than connectionTimeout (the validated env has these; read here because the adapter exists before the app).
    requestTimeout: Number(process.env.KIELTO_REQUEST_TIMEOUT_MS ?? 120_000),
    connectionTimeout: Number(process.env.KIELTO_CONNECTION_TIMEOUT_MS ?? 600_000),
  });
  const app = await NestFactory.create<NestFastifyApplication>(module, adapter, {
    bufferLogs: true,
    rawBody: true,
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  app.flushLogs();
  const config = app.get(ServiceConfig);
  const fastify = app.getHttpAdapter().getInstance();
  // Connections beyond the cap are closed by Node as they arrive.
  (app.getHttpServer() as Server).maxConnections = config.env.KIELTO_MAX_CONNECTIONS;

  await app.register(fastifyHelmet, {
    contentSecurityPolicy: { directives: { defaultSrc: ["'self'"], formAction: ["'self'"] } },
  });
  const origins = config.env.KIELTO_CORS_ORIGINS?.split(',').map((o) => o.trim());
  if (origins?.length) app.enableCors({ origin: origins });

  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
    done();
  });
  // Authentication, roles and rate limits (AccessPolicy) before anything else, above all before the body is read:
  // a caller without a valid key costs a header lookup, not a parse of whatever it sent.
  const rules = routeRules(app);
  const policy = app.get(AccessPolicy);
  fastify.addHook('onRequest', (request, reply, done) => {
    const route = request.routeOptions.url;
    if (route === undefined) return done(); // no such route: Fastify's 404
    const rule = rules.get(`${request.method === 'HEAD' ? 'GET' : request.method} ${route}`);
    if (rule === undefined) return done(); // not a Nest route (docs): the guard closes anything else
    (request as RequestWithRule).rule = rule;
    const refuse = (denial: Denial | undefined) => {
      if (denial === undefined) return done();
      const body = {
        ...problem(denial.status, denial.detail, denial.type),
        instance: route,
        requestId: String(request.id),
      };
      if (denial.retryAfter !== undefined) void reply.header('retry-after', String(denial.retryAfter));
      // A body the caller sent anyway is not read: the connection ends with the answer.
      if (hasBody(request.headers)) void reply.header('connection', 'close');
      void reply.status(denial.status).type(PROBLEM_CONTENT_TYPE).send(body);
    };
    const settle = (admission: Admission) => {
      // A refused caller with a valid key is still named in the audit record of the refusal.
      (request as unknown as AuthenticatedRequest).actor = isDenial(admission) ? admission.actor : admission;
      refuse(isDenial(admission) ? admission : undefined);
    };
    if (rule.public)
      return refuse(rule.limit !== undefined ? policy.admitPublic(route, rule.limit, request.ip) : undefined);
    const admission = policy.admit(request.headers.authorization, rule.roles, request.ip);
    // A sign-in token is verified asynchronously (its key may have to be fetched); an API key is decided at once.
    if (admission instanceof Promise) void admission.then(settle);
    else settle(admission);
  });
  const ndjsonRoutes = new Set(options.ndjsonRoutes ?? []);
  if (ndjsonRoutes.size > 0)
    fastify.addContentTypeParser(NDJSON, (_request, payload, done) => done(null, ndjsonBody(payload)));
  // Bodies are JSON unless a route says otherwise: anything else is a 415 before parsing.
  fastify.addHook('onRequest', (request, reply, done) => {
    if (!hasBody(request.headers)) return done();
    const type = String(request.headers['content-type'] ?? '')
      .split(';')[0]
      .trim()
      .toLowerCase();
    const path = request.url.split('?')[0];
    if (type === 'application/json' || (options.extraContentTypes?.(path) ?? []).includes(type)) return done();
    if (type === NDJSON && ndjsonRoutes.has(path)) return done();
    const body = { ...problemFromFrameworkError({ statusCode: 415 }), instance: path, requestId: String(request.id) };
    void reply.status(415).type(PROBLEM_CONTENT_TYPE).send(body);
  });
  // Deeply nested JSON is refused before any handler walks it (stack exhaustion, validator cost).
  fastify.addHook('preValidation', (request, reply, done) => {
    if (request.body !== null && typeof request.body === 'object' && exceedsDepth(request.body, MAX_JSON_DEPTH)) {
      const body = {
        ...problem(400, `JSON nested deeper than ${MAX_JSON_DEPTH} levels`, 'too-deep', [
          { field: 'body', message: `body must not be nested deeper than ${MAX_JSON_DEPTH} levels` },
        ]),
        instance: request.url.split('?')[0],
        requestId: String(request.id),
      };
      void reply.status(400).type(PROBLEM_CONTENT_TYPE).send(body);
      return;
    }
    done();
  });
  const histogram = httpRequestDuration();
  const audit = app.get(AuditTrail);
  fastify.addHook('onResponse', (request, reply, done) => {
    const actor = (request as unknown as AuthenticatedRequest).actor;
    const rule = (request as RequestWithRule).rule;
    const subjects = (request as RequestWithReadSubjects).readSubjects;
    const auditedRead = (rule?.public === false && rule.auditReads) || subjects !== undefined;
    if (audit.shouldRecord(request.method, actor, reply.statusCode, auditedRead)) {
      void audit.record({
        subjects,
        details: (request as RequestWithAuditDetails).auditDetails,
        actor,
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        params: (request.params ?? {}) as Record<string, string>,
        status: reply.statusCode,
        requestId: String(request.id),
      });
    }
    histogram.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    done();
  });

  // While closing, every response tells the client not to reuse the connection, so that a request in flight when
  // the shutdown began still gets its answer and its connection then ends (no reset of an accepted request).
  let closing = false;
  fastify.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) void reply.header('connection', 'close');
    done(null, payload);
  });

  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new ProblemDetailsFilter());
  setUpDocs(app, options, config);
  await options.configure?.(app);
  return app;
}

function setUpDocs(app: INestApplication, options: BootstrapOptions, config: ServiceConfig): void {
  const generated = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle(options.title)
      .setDescription(options.description)
      .setVersion('1.0')
      .addBearerAuth({
        type: 'http',
        scheme: 'bearer',
        description: 'API key from KIELTO_API_KEYS, or a sign-in token (JWT) of the OpenID Connect provider',
      })
      .addServer(`http://${config.env.HOST}:${config.port}`)
      .build(),
  );
  const document = completeOpenApiDocument(generated, routeAccessByOperationId(app));
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs/openapi.json',
    yamlDocumentUrl: 'docs/openapi.yaml',
  });
}

interface RequestWithRule {
  rule?: RouteRule;
}

function hasBody(headers: Record<string, string | string[] | undefined>): boolean {
  return Number(headers['content-length'] ?? 0) > 0 || headers['transfer-encoding'] !== undefined;
}

const MAX_JSON_DEPTH = 32;

/** Parsed JSON is made of arrays and plain objects; anything else (a stream body) is not walked. */
function isJsonNode(value: unknown): value is object {
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return true;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Iterative, so that hostile nesting cannot exhaust the stack while being measured. */
export function exceedsDepth(root: object, max: number): boolean {
  if (!isJsonNode(root)) return false;
  const nodes: object[] = [root];
  const depths: number[] = [1];
  while (nodes.length > 0) {
    const value = nodes.pop()!;
    const depth = depths.pop()!;
    if (depth > max) return true;
    for (const child of Array.isArray(value) ? (value as unknown[]) : Object.values(value)) {
      if (isJsonNode(child)) {
        nodes.push(child);
        depths.push(depth + 1);
      }
    }
  }
  return false;
}
