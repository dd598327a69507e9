import { Body, Controller, Get, NotFoundException, Param, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Translate, translator } from '../i18n/messages';
import { KieltoClient, ServiceAnswer } from '../kielto/kielto-client';
import { ConsoleSessions, seeOther, sendPage } from '../session/console-session';
import { offersFor } from '../session/offers';
import { ConsoleUser, Flash, Session } from '../session/session-store';
import { renderAudit } from '../views/dpo.views';
import { renderPerson } from '../views/person.view';
import { Found, renderSearch } from '../views/search.view';
import { renderError } from '../views/simple.views';
import { erasureRefusal, PeopleService } from './people.service';

type Form = Record<string, unknown>;
const CUSTOMER_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SEARCH_FIELDS = ['email', 'phone', 'customerNumber'] as const;

const text = (form: Form, name: string): string | undefined => {
  const value = form[name];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
};
const list = (form: Form, name: string): string[] => {
  const value = form[name];
  return (Array.isArray(value) ? value : value === undefined ? [] : [value]).filter(
    (v): v is string => typeof v === 'string',
  );
};

/** A failed change in words: the role refused, fields to check, or the service's own reason. */
function refusal(t: Translate, answer: ServiceAnswer): Flash {
  if (answer.status === 401 || answer.status === 403) return { kind: 'alert', key: 'forbidden.action' };
  if (answer.status === 503) return { kind: 'alert', key: 'error.unreachable' };
  if (answer.status === 400 && answer.problem?.fields.length) {
    return { kind: 'alert', key: 'error.invalid', params: { fields: answer.problem.fields.join(', ') } };
  }
  return { kind: 'alert', key: 'error.generic', params: { detail: answer.problem?.detail ?? String(answer.status) } };
}

/**
 * Finding a person and their page: the decision matrix, the timeline and the actions. Every change is a form
 * POST with the CSRF token and a ticked confirmation, answered by a redirect back to the page (POST-redirect-GET)
 * with the outcome as a one-time message in the session: no personal data in any URL.
 */
@Controller()
export class PeopleController {
  constructor(
    private readonly sessions: ConsoleSessions,
    private readonly people: PeopleService,
    private readonly kielto: KieltoClient,
  ) {}

  @Get('search')
  searchPage(@Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    const session = this.sessions.user(request, reply);
    sendPage(
      reply,
      renderSearch(this.sessions.context(session, '/search'), {
        identityCodeSearch: offersFor(session.user).identityCodeSearch,
      }),
    );
  }

  @Post('search')
  async search(@Body() body: Form, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const session = this.sessions.user(request, reply);
    this.sessions.checkForm(request, session, body);
    const filled = SEARCH_FIELDS.filter((f) => text(body, f) !== undefined);
    const ctx = this.sessions.context(session, '/search');
    const model = { identityCodeSearch: offersFor(session.user).identityCodeSearch };
    if (filled.length !== 1)
      return sendPage(reply, renderSearch(ctx, { ...model, problem: { key: 'search.oneField' } }), 400);
    const answer = await this.kielto.call<Found[]>(session.user.credential, 'customers', 'GET', '/v1/customers', {
      query: { [filled[0]]: text(body, filled[0]) },
    });
    this.renderResults(reply, session, answer);
  }

  /** Identity codes only in a POST body, only for dpo and admin (the service decides; the form is hidden for others). */
  @Post('search/identity-code')
  async searchByCode(@Body() body: Form, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const session = this.sessions.user(request, reply);
    this.sessions.checkForm(request, session, body);
    const answer = await this.kielto.call<Found[]>(
      session.user.credential,
      'customers',
      'POST',
      '/v1/customers/search',
      {
        body: { personalIdentityCode: text(body, 'personalIdentityCode') ?? '' },
      },
    );
    this.renderResults(reply, session, answer);
  }

  @Get('people/:id')
  async person(@Param('id') id: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const session = this.sessions.user(request, reply);
    const t = translator(session.lang);
    const customer = await this.loadCustomer(session, id, reply, request);
    if (!customer) return;
    const model = await this.people.person(session.user, customer, t);
    sendPage(reply, renderPerson(this.sessions.context(session, `/people/${id}`), model));
  }

  @Get('people/:id/audit')
  async audit(@Param('id') id: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const session = this.sessions.user(request, reply);
    if (!CUSTOMER_ID.test(id)) throw new NotFoundException();
    const { rows, gaps } = await this.people.audit(session.user, id, translator(session.lang));
    sendPage(reply, renderAudit(this.sessions.context(session, `/people/${id}/audit`), { customerId: id, rows, gaps }));
  }

  @Post('people/:id/consents')
  async recordDecision(
    @Param('id') id: string,
    @Body() body: Form,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    await this.act(id, body, request, reply, async (user, t) => {
      const evidence = { reference: text(body, 'reference'), noticeVersion: text(body, 'noticeVersion') };
      const answer = await this.kielto.call(user.credential, 'consents', 'POST', '/v1/consents', {
        body: {
          customerId: id,
          channel: text(body, 'channel'),
          purpose: text(body, 'purpose'),
          decision: text(body, 'decision'),
          source: text(body, 'source'),
          ...(evidence.reference || evidence.noticeVersion
            ? { evidence: JSON.parse(JSON.stringify(evidence)) as object }
            : {}),
        },
        requestId: String(request.id),
      });
      return answer.ok
        ? {
            kind: 'notice',
            key: 'actions.recorded',
            params: {
              decision: word(body, 'decision', 'decisions'),
              channel: word(body, 'channel', 'channels'),
              purpose: word(body, 'purpose', 'purposes'),
            },
          }
        : refusal(t, answer);
    });
  }

  @Post('people/:id/ban')
  async setBan(
    @Param('id') id: string,
    @Body() body: Form,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    await this.act(id, body, request, reply, async (user, t) => {
      const scope = text(body, 'scope');
      const answer = await this.kielto.call(user.credential, 'directory-bans', 'PUT', `/v1/directory-bans/${id}`, {
        body: {
          scope,
          ...(scope === 'partial' ? { hiddenFields: list(body, 'hiddenFields') } : {}),
          outlets: list(body, 'outlets'),
          ...(text(body, 'reason') ? { reason: text(body, 'reason') } : {}),
        },
        requestId: String(request.id),
      });
      return answer.ok ? { kind: 'notice', key: 'actions.banSet' } : refusal(t, answer);
    });
  }

  @Post('people/:id/ban/lift')
  async liftBan(
    @Param('id') id: string,
    @Body() body: Form,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    await this.act(id, body, request, reply, async (user, t) => {
      const answer = await this.kielto.call(user.credential, 'directory-bans', 'DELETE', `/v1/directory-bans/${id}`, {
        body: {},
        requestId: String(request.id),
      });
      return answer.ok ? { kind: 'notice', key: 'actions.banLifted' } : refusal(t, answer);
    });
  }

  @Post('people/:id/restriction')
  async restriction(
    @Param('id') id: string,
    @Body() body: Form,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    await this.act(id, body, request, reply, async (user, t) => {
      const lift = body.action === 'lift';
      const reason = text(body, 'reason');
      const answer = await this.kielto.call(
        user.credential,
        'customers',
        lift ? 'DELETE' : 'PUT',
        `/v1/customers/${id}/restriction`,
        {
          body: reason ? { reason } : {},
          requestId: String(request.id),
        },
      );
      if (!answer.ok) return refusal(t, answer);
      return { kind: 'notice', key: lift ? 'actions.liftedDone' : 'actions.restrictedDone' };
    });
  }

  @Post('people/:id/requests')
  async openRequest(
    @Param('id') id: string,
    @Body() body: Form,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    await this.act(id, body, request, reply, async (user, t) => {
      const answer = await this.kielto.call<{ dueAt: string }>(user.credential, 'customers', 'POST', '/v1/requests', {
        body: {
          customerId: id,
          type: text(body, 'type'),
          channel: text(body, 'channel'),
          receivedAt: receivedAt(text(body, 'receivedAt')),
          ...(text(body, 'identityVerifiedBy') ? { identityVerifiedBy: text(body, 'identityVerifiedBy') } : {}),
        },
        requestId: String(request.id),
      });
      if (!answer.ok) return refusal(t, answer);
      return { kind: 'notice', key: 'actions.requestOpened', params: { due: answer.body.dueAt.slice(0, 10) } };
    });
  }

  /** Erasure: 202 → back to the search; 409 → the law's reason in words on the person's page. */
  @Post('people/:id/erase')
  async erase(@Param('id') id: string, @Body() body: Form, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const session = this.sessions.user(request, reply);
    this.sessions.checkForm(request, session, body);
    if (!CUSTOMER_ID.test(id)) throw new NotFoundException();
    const t = translator(session.lang);
    if (body.confirm !== 'yes') {
      this.sessions.flash(session, { kind: 'alert', key: 'actions.confirmMissing' });
      return seeOther(reply, `/people/${id}`);
    }
    const answer = await this.kielto.call(session.user.credential, 'customers', 'DELETE', `/v1/customers/${id}`, {
      requestId: String(request.id),
    });
    if (answer.ok) {
      this.sessions.flash(session, { kind: 'notice', key: 'actions.erased' });
      return seeOther(reply, '/search');
    }
    if (answer.status === 409) {
      const current = await this.people.customer(session.user, id);
      const { key, params } = erasureRefusal(
        t,
        answer.problem?.type ?? '',
        current.ok ? current.body.legalHold : undefined,
      );
      this.sessions.flash(session, { kind: 'alert', key, params });
    } else this.sessions.flash(session, refusal(t, answer));
    seeOther(reply, `/people/${id}`);
  }

  /** A change of a person's record: CSRF, confirmation, the call, then back to the page with the outcome. */
  private async act(
    id: string,
    body: Form,
    request: FastifyRequest,
    reply: FastifyReply,
    change: (user: ConsoleUser, t: Translate) => Promise<Flash>,
  ): Promise<void> {
    const session = this.sessions.user(request, reply);
    this.sessions.checkForm(request, session, body);
    if (!CUSTOMER_ID.test(id)) throw new NotFoundException();
    const flash: Flash =
      body.confirm === 'yes'
        ? await change(session.user, translator(session.lang))
        : { kind: 'alert', key: 'actions.confirmMissing' };
    this.sessions.flash(session, flash);
    seeOther(reply, `/people/${id}`);
  }

  private async loadCustomer(
    session: Session & { user: ConsoleUser },
    id: string,
    reply: FastifyReply,
    request: FastifyRequest,
  ) {
    if (!CUSTOMER_ID.test(id)) throw new NotFoundException();
    const answer = await this.people.customer(session.user, id);
    if (answer.ok) return answer.body;
    const ctx = this.sessions.context(session, `/people/${id}`);
    if (answer.status === 404 || answer.status === 410) sendPage(reply, renderError(ctx, 'not-found'), 404);
    else if (answer.status === 401 || answer.status === 403) sendPage(reply, renderError(ctx, 'forbidden-action'), 403);
    else if (answer.status === 503) sendPage(reply, renderError(ctx, 'unreachable'), 503);
    else sendPage(reply, renderError(ctx, 'error', String(request.id)), 502);
    return undefined;
  }

  private renderResults(
    reply: FastifyReply,
    session: Session & { user: ConsoleUser },
    answer: ServiceAnswer<Found[]>,
  ): void {
    const ctx = this.sessions.context(session, '/search');
    const model = { identityCodeSearch: offersFor(session.user).identityCodeSearch };
    if (answer.ok) {
      const results = answer.body.map(({ id, name, customerNumber }) => ({ id, name, customerNumber }));
      return sendPage(reply, renderSearch(ctx, { ...model, results }));
    }
    const flash = refusal(translator(session.lang), answer);
    sendPage(
      reply,
      renderSearch(ctx, { ...model, problem: { key: flash.key as never, params: flash.params } }),
      answer.status === 400 ? 400 : 200,
    );
  }
}

/** The catalogue key of a submitted value, kept as the key so the message renders in the reader's language. */
function word(body: Form, field: string, group: string): string {
  return `${group}.${text(body, field) ?? ''}`;
}

/** A received-on date: that day at noon in Finland, or now when it is today (the desk refuses the future). */
function receivedAt(day: string | undefined): string {
  const now = new Date();
  if (day === undefined || !/^\d{4}-\d{2}-\d{2}$/.test(day)) return now.toISOString();
  const noon = new Date(`${day}T12:00:00+02:00`);
  return noon.getTime() > now.getTime() ? now.toISOString() : noon.toISOString();
}
