import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { translator } from '../i18n/messages';
import { KieltoClient } from '../kielto/kielto-client';
import { unavailable } from '../people/people.service';
import { ConsoleSessions, sendPage } from '../session/console-session';
import type { CampaignClearance } from '@kielto/contracts';
import { DeskRequest, renderClearances, renderRequests, renderRetention, RetentionDue } from '../views/dpo.views';

/** The data protection officer's views: the request desk with days left, customers due for retention, clearances. */
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

  @Get('clearances')
  async clearances(@Query('campaign') campaign: unknown, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const session = this.sessions.user(request, reply);
    const ctx = this.sessions.context(session, '/clearances');
    const t = translator(session.lang);
    if (campaign === undefined || campaign === '') return sendPage(reply, renderClearances(ctx, {}));
    const id = typeof campaign === 'string' ? campaign.trim().slice(0, 200) : '';
    // Suppression decides what a campaign id is (400 naming `campaignId`): one rule, said here in words.
    const answer = await this.kielto.call<CampaignClearance[]>(
      session.user.credential,
      'suppression',
      'GET',
      `/v1/campaigns/${encodeURIComponent(id)}/clearances`,
    );
    if (answer.ok) return sendPage(reply, renderClearances(ctx, { campaign: id, clearances: answer.body }));
    const invalid = answer.status === 400 || answer.status === 404;
    const problem = invalid ? t('clearances.invalid') : unavailable(t, answer);
    sendPage(reply, renderClearances(ctx, { campaign: id, problem }), invalid ? 400 : 200);
  }
}
