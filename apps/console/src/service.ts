import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { validateEnv } from '@kielto/platform';
import { ConsoleModule } from './app.module';
import { ConsoleEnv } from './console.env';

export interface ConsoleApp {
  app: NestFastifyApplication;
  url: string;
}

/**
 * The staff and DPO console: server-rendered pages over the four services' public HTTP APIs. No database, no
 * broker; a small body limit (forms only); Fastify's own request log is off, so no URL is ever logged.
 */
export async function start(port?: number): Promise<ConsoleApp> {
  const env = validateEnv(ConsoleEnv, process.env);
  const adapter = new FastifyAdapter({
    bodyLimit: 65_536,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    trustProxy: env.KIELTO_TRUST_PROXY || false,
    requestTimeout: env.KIELTO_REQUEST_TIMEOUT_MS,
    routerOptions: { maxParamLength: 200 },
  });
  const app = await NestFactory.create<NestFastifyApplication>(ConsoleModule, adapter, {
    logger: env.LOG_LEVEL === 'silent' ? false : ['error', 'warn', 'log'],
  });
  app.enableShutdownHooks();
  await app.listen({ port: port ?? env.PORT ?? 3000, host: env.HOST });
  const address = app.getHttpServer().address();
  const bound = typeof address === 'object' && address ? address.port : (port ?? 3000);
  return { app, url: `http://${env.HOST}:${bound}` };
}
