import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { collectDefaultMetrics, Counter, Gauge, Histogram, register } from 'prom-client';
import { Public } from '../auth/roles.decorator';

let defaultsCollected = false;

/** One registry per process; metric names follow Prometheus conventions with the `kielto_` prefix. */
export function registerDefaultMetrics(service: string): void {
  if (defaultsCollected) return;
  defaultsCollected = true;
  register.setDefaultLabels({ service });
  collectDefaultMetrics({ prefix: 'kielto_' });
}

function getOrCreate<T>(name: string, create: () => T): T {
  return (register.getSingleMetric(name) as T | undefined) ?? create();
}

export const httpRequestDuration = () =>
  getOrCreate(
    'kielto_http_request_duration_seconds',
    () =>
      new Histogram({
        name: 'kielto_http_request_duration_seconds',
        help: 'HTTP request latency by route pattern and status code',
        labelNames: ['method', 'route', 'status'],
        buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      }),
  );

export const counter = (name: string, help: string, labelNames: string[] = []) =>
  getOrCreate(name, () => new Counter({ name, help, labelNames }));

export const gauge = (name: string, help: string, labelNames: string[] = [], collect?: () => void | Promise<void>) =>
  getOrCreate(name, () => new Gauge({ name, help, labelNames, ...(collect ? { collect } : {}) }));

/** Malformed events sent to the dead-letter topic (incremented by the Kafka transport). */
export const deadLetteredMessages = () =>
  counter('kielto_kafka_dead_letters_total', 'Malformed events sent to the dead-letter topic, by source topic', [
    'service',
    'topic',
  ]);

@ApiExcludeController()
@Controller('metrics')
export class MetricsController {
  @Public()
  @Get()
  @Header('content-type', register.contentType)
  metrics(): Promise<string> {
    return register.metrics();
  }
}
