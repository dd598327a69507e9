import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { translator } from '../i18n/messages';
import { KieltoClient } from '../kielto/kielto-client';
import { unavailable } from '../people/people.service';
import { ConsoleSessions, sendPage } from '../session/console-session';
import { DeskRequest, renderRequests, renderRetention, RetentionDue } from '../views/dpo.views';

/** The data protection officer's views: the request desk with days left, and customers due for retention. */
@Controller()
export class DeskController {
  constructor(
    private readonly sessions: ConsoleSessions,
    private readonly kielto: KieltoClient,
  ) {}

  @Get('requests')
  async requests(@Query('status') status: unknown, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const session = this.sessions.user(request, reply);
    const wanted = status === 'overdue' ? 'overdue' : 'open';
    const answer = await this.kielto.call<DeskRequest[]>(session.user.credential, 'customers', 'GET', '/v1/requests', {
      query: { status: wanted },
    });
    const ctx = this.sessions.context(session, '/requests');
    const now = new Date();
    sendPage(
      reply,
      answer.ok
        ? renderRequests(ctx, { status: wanted, requests: answer.body, now })
        : renderRequests(ctx, { status: wanted, unavailable: unavailable(translator(session.lang), answer), now }),
    );
  }

  @Get('retention')
  async retention(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const session = this.sessions.user(request, reply);
    const answer = await this.kielto.call<RetentionDue>(
      session.user.credential,
      'customers',
      'GET',
      '/v1/retention/due',
    );
    const ctx = this.sessions.context(session, '/retention');
    sendPage(
      reply,
      answer.ok
        ? renderRetention(ctx, { due: answer.body })
        : renderRetention(ctx, { unavailable: unavailable(translator(session.lang), answer) }),
    );
  }
}
