import { CliConfig, SERVICES, ServiceName } from '../http';
import { EXIT } from '../report';

export interface StatusOptions {
  json?: boolean;
}

interface ServiceStatus {
  service: ServiceName;
  url: string;
  ready: boolean;
  /** `up`/`down` per readiness check (mongodb, kafka, and the service's own, e.g. suppression freshness). */
  checks: Record<string, string>;
  error?: string;
  ms: number;
}

async function probe(service: ServiceName, url: string, timeoutMs: number): Promise<ServiceStatus> {
  const started = Date.now();
  try {
    const response = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(timeoutMs) });
    const body = (await response.json().catch(() => ({}))) as {
      info?: Record<string, { status: string }>;
      error?: Record<string, { status: string }>;
    };
    const checks: Record<string, string> = {};
    for (const [name, check] of Object.entries({ ...body.info, ...body.error })) checks[name] = check.status;
    return { service, url, ready: response.status === 200, checks, ms: Date.now() - started };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
    return { service, url, ready: false, checks: {}, error: `unreachable (${cause})`, ms: Date.now() - started };
  }
}

/** `kielto status`: every service's readiness (database, Kafka and its own conditions). Exit 69 unless all are ready. */
export async function statusCommand(config: CliConfig, options: StatusOptions): Promise<number> {
  const statuses = await Promise.all(SERVICES.map((s) => probe(s, config.urls[s], Math.min(config.timeoutMs, 5000))));
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ ready: statuses.every((s) => s.ready), services: statuses })}\n`);
  } else {
    const width = Math.max(...SERVICES.map((s) => s.length));
    for (const s of statuses) {
      const checks = Object.entries(s.checks)
        .map(([name, status]) => `${name} ${status}`)
        .join(', ');
      process.stdout.write(
        `${s.service.padEnd(width)}  ${(s.ready ? 'ready' : 'NOT READY').padEnd(9)}  ${s.url}  ${s.error ?? checks} (${s.ms} ms)\n`,
      );
    }
  }
  return statuses.every((s) => s.ready) ? EXIT.ok : EXIT.unavailable;
}
