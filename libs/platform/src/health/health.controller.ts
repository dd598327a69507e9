import { Controller, Get } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorResult, MongooseHealthIndicator } from '@nestjs/terminus';
import { Public } from '../auth/roles.decorator';
import { KafkaService } from '../kafka/kafka.service';

/** Extra readiness conditions an app adds (e.g. suppression: its state is fresh enough to answer). */
export interface ReadinessCheck {
  name: string;
  check(): Promise<{ ok: boolean; detail?: Record<string, unknown> }>;
}
export const READINESS_CHECKS = Symbol('READINESS_CHECKS');

@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly mongoose: MongooseHealthIndicator,
    private readonly kafka: KafkaService,
    private readonly moduleRef: ModuleRef,
  ) {}

  /** Apps provide READINESS_CHECKS in their own modules; look them up across the whole app. */
  private get extra(): ReadinessCheck[] {
    try {
      return this.moduleRef.get<ReadinessCheck[]>(READINESS_CHECKS, { strict: false });
    } catch {
      return [];
    }
  }

  /** The process is up (restart it if not). */
  @Public()
  @Get('live')
  @ApiOperation({ summary: 'Liveness: the process is up (restart it if not)' })
  @ApiOkResponse({
    schema: { type: 'object', properties: { status: { type: 'string', enum: ['ok'] } }, example: { status: 'ok' } },
  })
  live() {
    return { status: 'ok' };
  }

  /** The service can do its job: database and Kafka reachable, plus the app's own conditions. */
  @Public()
  @Get('ready')
  @ApiOperation({
    summary: 'Readiness: the service can do its job (503 when the database, Kafka or a service condition is down)',
  })
  @HealthCheck()
  ready() {
    return this.health.check([
      () => this.mongoose.pingCheck('mongodb', { timeout: 2000 }),
      async (): Promise<HealthIndicatorResult> => {
        try {
          await this.kafka.ping();
          return { kafka: { status: 'up' } };
        } catch {
          return { kafka: { status: 'down' } };
        }
      },
      ...this.extra.map((c) => async (): Promise<HealthIndicatorResult> => {
        const result = await c.check().catch(() => ({ ok: false, detail: undefined }));
        return { [c.name]: { status: result.ok ? 'up' : 'down', ...result.detail } };
      }),
    ]);
  }
}
