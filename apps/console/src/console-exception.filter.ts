import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ConsoleSessions, CsrfRefused, seeOther, sendPage, SignInRequired } from './session/console-session';
import { renderError } from './views/simple.views';

/**
 * Every failure as a page in the reader's language: sign in (303 to /login), a refused form (403), not found
 * (404), anything else a 500 naming the request id. Logs say what failed, never a URL's values or a body.
 */
@Catch()
export class ConsoleExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Console');

  constructor(private readonly sessions: ConsoleSessions) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    if (error instanceof SignInRequired) return seeOther(reply, '/login');
    const session = this.sessions.open(request, reply);
    const ctx = this.sessions.context(session, '/');
    if (error instanceof CsrfRefused) return sendPage(reply, renderError(ctx, 'csrf'), 403);
    const status = error instanceof HttpException ? error.getStatus() : 500;
    if (status === 404) return sendPage(reply, renderError(ctx, 'not-found'), 404);
    if (status < 500) return sendPage(reply, renderError(ctx, 'error', String(request.id)), status);
    this.logger.error(
      { requestId: String(request.id), route: request.routeOptions.url, err: (error as Error)?.name },
      'console request failed',
    );
    sendPage(reply, renderError(ctx, 'error', String(request.id)), 500);
  }
}
