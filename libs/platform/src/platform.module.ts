import { DynamicModule, Global, Module, Provider } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { MongooseModule } from '@nestjs/mongoose';
import { TerminusModule } from '@nestjs/terminus';
import { ThrottlerModule } from '@nestjs/throttler';
import { LoggerModule } from 'nestjs-pino';
import { AuditRecord, AuditRecordSchema } from './audit/audit-record.schema';
import { AuditController } from './audit/audit.controller';
import { AuditTrail } from './audit/audit-trail.service';
import { ApiKeyGuard } from './auth/api-key.guard';
import { KeyThrottlerGuard } from './auth/key-throttler.guard';
import { ApiKeyRegistry } from './auth/api-keys';
import { BaseEnv, validateEnv } from './config/base-env';
import { SERVICE_ENV, ServiceConfig, ServiceDescriptor } from './config/service-config';
import { assertProductionSafe } from './config/guardrails';
import { IdentifierHasher } from './crypto/identifier-hasher';
import { AsyncApiController } from './docs/asyncapi.controller';
import { HealthController } from './health/health.controller';
import { ConsumerProgress } from './kafka/consumer-progress';
import { KafkaService } from './kafka/kafka.service';
import { pinoParams } from './logging/logging';
import { MetricsController, registerDefaultMetrics } from './metrics/metrics';
import { PlatformMetrics } from './metrics/platform-metrics';
import { EventLog } from './outbox/event-log.service';
import { OutboxEvent, OutboxEventSchema } from './outbox/outbox-event.schema';

export interface PlatformOptions<E extends BaseEnv> {
  service: ServiceDescriptor;
  env: new () => E;
  /** Defaults to process.env; tests pass their own. */
  rawEnv?: Record<string, string | undefined>;
  /** The app's own secrets, checked by the production guardrails. */
  secrets?: (env: E) => Record<string, string | undefined>;
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
    assertProductionSafe(env, options.secrets?.(env));
    const config = new ServiceConfig(options.service, env);
    registerDefaultMetrics(options.service.name);
    const providers: Provider[] = [
      { provide: ServiceConfig, useValue: config },
      { provide: SERVICE_ENV, useValue: env },
      { provide: options.env, useValue: env },
      { provide: ApiKeyRegistry, useValue: new ApiKeyRegistry(env.KIELTO_API_KEYS) },
      { provide: IdentifierHasher, useValue: new IdentifierHasher(env.KIELTO_PARTNER_HASH_KEY) },
      KafkaService,
      EventLog,
      ConsumerProgress,
      AuditTrail,
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
          { name: AuditRecord.name, schema: AuditRecordSchema },
        ]),
        TerminusModule.forRoot({ logger: false }),
        ThrottlerModule.forRoot({ throttlers: [{ ttl: 60_000, limit: env.KIELTO_RATE_LIMIT_PER_MINUTE }] }),
      ],
      controllers: [HealthController, MetricsController, AuditController, AsyncApiController],
      // Guards run in this order: authenticate and authorise, then rate-limit per key.
      providers: [
        ...providers,
        { provide: APP_GUARD, useClass: ApiKeyGuard },
        { provide: APP_GUARD, useClass: KeyThrottlerGuard },
      ],
      exports: [...providers, MongooseModule],
    };
  }
}
