import { DynamicModule, Global, Module, Provider } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { MongooseModule } from '@nestjs/mongoose';
import { TerminusModule } from '@nestjs/terminus';
import { LoggerModule } from 'nestjs-pino';
import {
  AuditRecord,
  AuditRecordSchema,
  SubjectReadHead,
  SubjectReadHeadSchema,
  SubjectReadPage,
  SubjectReadPageSchema,
} from './audit/audit-record.schema';
import { PersonalDataReadInterceptor } from './audit/personal-data-read';
import { SUBJECT_READ_SOURCES, SubjectReadGatherer, SubjectReadSources } from './audit/subject-read-gatherer';
import { AuditController } from './audit/audit.controller';
import { AuditTrail } from './audit/audit-trail.service';
import { ApiKeyGuard } from './auth/api-key.guard';
import { ApiKeyRegistry } from './auth/api-keys';
import { OidcTokenVerifier, oidcSettingsFrom } from './auth/oidc-tokens';
import { AccessPolicy, accessLimitsFrom } from './security/access-policy';
import { BaseEnv, validateEnv } from './config/base-env';
import { SERVICE_ENV, ServiceConfig, ServiceDescriptor } from './config/service-config';
import { assertSafeToStart } from './config/guardrails';
import { IdentifierHasher } from './crypto/identifier-hasher';
import { AsyncApiController } from './docs/asyncapi.controller';
import { HealthController } from './health/health.controller';
import { ConsumerProgress } from './kafka/consumer-progress';
import { KafkaService } from './kafka/kafka.service';
import { pinoParams } from './logging/logging';
import { MetricsController, registerDefaultMetrics } from './metrics/metrics';
import { PlatformMetrics } from './metrics/platform-metrics';
import { EventLog } from './outbox/event-log.service';
import {
  EventHead,
  EventHeadSchema,
  OutboxEvent,
  OutboxEventSchema,
  PendingEvent,
  PendingEventSchema,
} from './outbox/outbox-event.schema';

export interface PlatformOptions<E extends BaseEnv> {
  service: ServiceDescriptor;
  env: new () => E;
  /** Defaults to process.env; tests pass their own. */
  rawEnv?: Record<string, string | undefined>;
  /** The app's own secrets, checked by the production guardrails. */
  secrets?: (env: E) => Record<string, string | undefined>;
  /** URLs the app hands out to people (links in messages): https in production. */
  publicUrls?: (env: E) => Record<string, string | undefined>;
  /** The other services whose reads `GET /v1/audit?subject=` gathers here (customers). */
  subjectReadSources?: (env: E) => SubjectReadSources;
}

/**
 * Everything a kielto service stands on, wired once: validated config, logging, MongoDB, Kafka, the event
 * log/outbox, API-key auth with roles, health and metrics. Each app imports `PlatformModule.forService(…)`.
 */
@Global()
@Module({})
export class PlatformModule {
  static forService<E extends BaseEnv>(options: PlatformOptions<E>): DynamicModule {
    const env = validateEnv(options.env, options.rawEnv ?? process.env);
    assertSafeToStart(env, { secrets: options.secrets?.(env), publicUrls: options.publicUrls?.(env) });
    const config = new ServiceConfig(options.service, env);
    const keys = new ApiKeyRegistry(env.KIELTO_API_KEYS);
    const oidc = oidcSettingsFrom(env);
    registerDefaultMetrics(options.service.name);
    const providers: Provider[] = [
      { provide: ServiceConfig, useValue: config },
      { provide: SERVICE_ENV, useValue: env },
      { provide: options.env, useValue: env },
      { provide: ApiKeyRegistry, useValue: keys },
      {
        provide: AccessPolicy,
        useValue: new AccessPolicy(keys, accessLimitsFrom(env), oidc && new OidcTokenVerifier(oidc)),
      },
      { provide: IdentifierHasher, useValue: new IdentifierHasher(env.KIELTO_PARTNER_HASH_KEY) },
      KafkaService,
      EventLog,
      ConsumerProgress,
      AuditTrail,
      SubjectReadGatherer,
      { provide: SUBJECT_READ_SOURCES, useValue: options.subjectReadSources?.(env) ?? null },
      PlatformMetrics,
    ];
    return {
      module: PlatformModule,
      imports: [
        LoggerModule.forRoot(pinoParams(env.LOG_LEVEL)),
        MongooseModule.forRoot(env.MONGODB_URI, {
          dbName: config.databaseName,
          serverSelectionTimeoutMS: 5000,
          autoIndex: true,
          // FerretDB has no retryable writes; MongoDB keeps its defaults through the URI.
          retryWrites: false,
          maxPoolSize: 20,
        }),
        MongooseModule.forFeature([
          { name: OutboxEvent.name, schema: OutboxEventSchema },
          { name: EventHead.name, schema: EventHeadSchema },
          { name: PendingEvent.name, schema: PendingEventSchema },
          { name: AuditRecord.name, schema: AuditRecordSchema },
          { name: SubjectReadPage.name, schema: SubjectReadPageSchema },
          { name: SubjectReadHead.name, schema: SubjectReadHeadSchema },
        ]),
        TerminusModule.forRoot({ logger: false }),
      ],
      controllers: [HealthController, MetricsController, AuditController, AsyncApiController],
      // Requests are authenticated, authorised and rate-limited in Fastify's onRequest (bootstrap.ts); the guard
      // applies the same policy again to anything that reached a handler another way (closed by default).
      providers: [
        ...providers,
        { provide: APP_GUARD, useClass: ApiKeyGuard },
        // Names the subjects of every read of personal data for the audit trail (issue 16 part 3).
        { provide: APP_INTERCEPTOR, useClass: PersonalDataReadInterceptor },
      ],
      exports: [...providers, MongooseModule],
    };
  }
}
