import { Body, Controller, Get, Post, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Role } from '@kielto/contracts';
import { ApiKeyRegistry, oidcSettingsFrom, PERSON_ROLES } from '@kielto/platform';
import { ConsoleEnv } from '../console.env';
import { isLanguage } from '../i18n/messages';
import { ConsoleSessions, seeOther, sendPage } from '../session/console-session';
import { Session } from '../session/session-store';
import { renderError, renderSignIn, SignInModel } from '../views/simple.views';
import { OidcClient } from './oidc-client';

type Form = Record<string, unknown>;

/**
 * Signing in and out. Staff, dpo and admin sign in with the organisation's OpenID Connect provider (when
 * KIELTO_OIDC_ISSUER is set) or, outside production, with a development API key typed into the form. Either way
 * the console then calls the services with that person's own credential. Marketing and partner keys (machines)
 * and tokens without a role of kielto get a 403 page.
 */
@Controller()
export class SignInController {
  private readonly keys: ApiKeyRegistry;
  private readonly devKeys: boolean;
  private readonly oidc?: OidcClient;

  constructor(
    private readonly sessions: ConsoleSessions,
    private readonly env: ConsoleEnv,
  ) {
    this.keys = new ApiKeyRegistry(env.KIELTO_API_KEYS);
    this.devKeys = env.NODE_ENV !== 'production';
    const settings = oidcSettingsFrom(env);
    if (settings) {
      this.oidc = new OidcClient({
        ...settings,
        clientId: env.KIELTO_OIDC_CLIENT_ID ?? settings.audience,
        clientSecret: env.KIELTO_OIDC_CLIENT_SECRET,
        scopes: env.KIELTO_OIDC_SCOPES,
      });
    }
  }

  @Get()
  home(@Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    const session = this.sessions.open(request, reply);
    seeOther(reply, session.user ? '/search' : '/login');
  }

  @Get('login')
  loginPage(@Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    const session = this.sessions.open(request, reply);
    if (session.user) return seeOther(reply, '/search');
    const ended = session.ended;
    session.ended = undefined;
    const message: SignInModel['message'] =
      ended === 'idle'
        ? { kind: 'notice', key: 'login.idle', params: { minutes: this.sessions.idleMinutes } }
        : ended === 'expired'
          ? { kind: 'notice', key: 'login.expired' }
          : ended === 'signed-out'
            ? { kind: 'notice', key: 'login.signedOut' }
            : undefined;
    this.renderLogin(reply, session, message);
  }

  @Post('login')
  login(@Body() body: Form, @Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    const session = this.sessions.open(request, reply);
    this.sessions.checkForm(request, session, body);
    if (!this.devKeys)
      return sendPage(reply, renderError(this.sessions.context(session, '/login'), 'forbidden-role'), 403);
    const key = typeof body.key === 'string' ? body.key.trim() : '';
    const actor = key === '' ? undefined : this.keys.authenticate(key);
    if (actor === undefined) {
      return this.renderLogin(reply, session, { kind: 'alert', key: 'login.rejected' }, 401);
    }
    if (!PERSON_ROLES.includes(actor.role)) {
      return sendPage(reply, renderError(this.sessions.context(session, '/login'), 'forbidden-role'), 403);
    }
    this.sessions.signIn(reply, session, {
      credential: key,
      via: 'api-key',
      actorId: actor.keyId,
      role: actor.role,
      roles: [actor.role],
    });
    seeOther(reply, '/search');
  }

  @Get('login/oidc')
  async startOidc(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const session = this.sessions.open(request, reply);
    if (!this.oidc) return sendPage(reply, renderError(this.sessions.context(session, '/login'), 'not-found'), 404);
    try {
      const { url, pending } = await this.oidc.start(this.redirectUri(request));
      session.pending = pending;
      void reply.status(302).header('location', url).header('cache-control', 'no-store').send();
    } catch {
      this.renderLogin(reply, session, { kind: 'alert', key: 'login.providerDown' }, 503);
    }
  }

  @Get('login/callback')
  async callback(
    @Query() query: Record<string, unknown>,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const session = this.sessions.open(request, reply);
    if (!this.oidc) return sendPage(reply, renderError(this.sessions.context(session, '/login'), 'not-found'), 404);
    const pending = session.pending;
    session.pending = undefined; // one use: a replayed callback finds nothing
    const result = await this.oidc.finish(pending, query);
    switch (result.outcome) {
      case 'signed-in': {
        const { actor } = result;
        this.sessions.signIn(
          reply,
          session,
          {
            credential: result.idToken,
            via: 'oidc',
            actorId: actor.keyId,
            role: actor.role,
            roles: (actor.roles ?? [actor.role]) as Role[],
            name: actor.name,
            expiresAt: result.expiresAt,
          },
          result.locale,
        );
        return seeOther(reply, '/search');
      }
      case 'forbidden':
        return sendPage(reply, renderError(this.sessions.context(session, '/login'), 'forbidden-role'), 403);
      case 'provider-down':
        return this.renderLogin(reply, session, { kind: 'alert', key: 'login.providerDown' }, 503);
      case 'failed':
        return this.renderLogin(reply, session, { kind: 'alert', key: 'login.oidcFailed' }, 400);
      default:
        throw new Error(`unknown sign-in outcome ${String(result satisfies never)}`);
    }
  }

  @Post('logout')
  logout(@Body() body: Form, @Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    const session = this.sessions.open(request, reply);
    this.sessions.checkForm(request, session, body);
    this.sessions.signOut(reply, session);
    seeOther(reply, '/login');
  }

  /** The reader's language, kept in their session (fi, sv, en). */
  @Post('language')
  language(@Body() body: Form, @Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    const session = this.sessions.open(request, reply);
    this.sessions.checkForm(request, session, body);
    if (isLanguage(body.lang)) this.sessions.choose(session, body.lang);
    const back = typeof body.return === 'string' && /^\/[A-Za-z0-9/_-]*$/.test(body.return) ? body.return : '/';
    seeOther(reply, back);
  }

  private renderLogin(reply: FastifyReply, session: Session, message?: SignInModel['message'], status = 200): void {
    const ctx = this.sessions.context(session, '/login');
    sendPage(reply, renderSignIn(ctx, { oidc: this.oidc !== undefined, devKeys: this.devKeys, message }), status);
  }

  private redirectUri(request: FastifyRequest): string {
    const base = this.env.KIELTO_CONSOLE_PUBLIC_URL ?? `${request.protocol}://${request.headers.host}`;
    return `${base.replace(/\/+$/, '')}/login/callback`;
  }
}
