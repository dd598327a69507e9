import { Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ConsoleEnv } from '../console.env';
import { Language } from '@kielto/contracts';
import { languageFromHeader, spokenLanguage } from '../i18n/messages';
import { CONSOLE_CSP, PageContext } from '../views/layout';
import { isLoopbackHost, readCookie, sessionCookie, sessionCookieName } from './cookies';
import { ConsoleUser, csrfMatches, Flash, Session, SessionStore } from './session-store';

/** People whose language choice is remembered (the least recently chosen are forgotten beyond this). */
const MAX_REMEMBERED_LANGUAGES = 10_000;

/** Thrown where a page needs a signed-in person and there is none: the filter sends the browser to sign in. */
export class SignInRequired extends Error {}
/** A form without the session's CSRF token, or not from the console itself: 403 page, nothing done. */
export class CsrfRefused extends Error {}

export const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': CONSOLE_CSP,
  // Every page may show personal data or a form bound to a session: never stored by the browser or a proxy.
  'cache-control': 'no-store',
  'x-robots-tag': 'noindex, nofollow',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
};

/** The console's session of a request: found by its cookie, created when missing, its CSRF token checked. */
@Injectable()
export class ConsoleSessions {
  readonly store: SessionStore;
  readonly secure: boolean;
  readonly cookieName: string;
  readonly idleMinutes: number;
  private readonly publicHost?: string;
  /**
   * Each signed-in person's last language choice, by actor id: in memory like the sessions (a restart forgets it and
   * the identity provider's `locale` or the browser's language applies again).
   */
  private readonly chosen = new Map<string, Language>();

  constructor(env: ConsoleEnv) {
    this.idleMinutes = env.KIELTO_CONSOLE_IDLE_MINUTES;
    this.store = new SessionStore(env.KIELTO_CONSOLE_IDLE_MINUTES * 60_000, env.KIELTO_CONSOLE_MAX_SESSIONS);
    const publicUrl = env.KIELTO_CONSOLE_PUBLIC_URL ? new URL(env.KIELTO_CONSOLE_PUBLIC_URL) : undefined;
    this.publicHost = publicUrl?.host;
    this.secure = publicUrl ? !isLoopbackHost(publicUrl.hostname) : !isLoopbackHost(env.HOST);
    this.cookieName = sessionCookieName(this.secure);
  }

  /** The request's session, or a new anonymous one (with the cookie set) when it has none or it ended. */
  open(request: FastifyRequest, reply: FastifyReply): Session {
    const { session, ended } = this.store.touch(readCookie(request.headers.cookie, this.cookieName));
    if (session) return session;
    const fresh = this.store.create(languageFromHeader(request.headers['accept-language']), ended);
    this.setCookie(reply, fresh);
    return fresh;
  }

  /** The signed-in person's session, or SignInRequired. */
  user(request: FastifyRequest, reply: FastifyReply): Session & { user: ConsoleUser } {
    const session = this.open(request, reply);
    if (!session.user) throw new SignInRequired();
    return session as Session & { user: ConsoleUser };
  }

  /**
   * A form POST: the session's CSRF token in the body, and the browser saying the form came from the console
   * (`Sec-Fetch-Site: same-origin`, or an `Origin` naming the console's host when a browser sends no Sec-Fetch-Site).
   */
  checkForm(request: FastifyRequest, session: Session, body: Record<string, unknown>): void {
    if (!csrfMatches(session, body.csrf)) throw new CsrfRefused();
    const site = request.headers['sec-fetch-site'];
    if (typeof site === 'string') {
      if (site !== 'same-origin') throw new CsrfRefused();
      return;
    }
    const origin = request.headers.origin;
    if (typeof origin !== 'string') return; // not a browser that marks requests: the token alone decides
    let host: string | undefined;
    try {
      host = new URL(origin).host;
    } catch {
      host = undefined;
    }
    if (host === undefined || (host !== request.headers.host && host !== this.publicHost)) throw new CsrfRefused();
  }

  /**
   * Signs the session in under a new id and CSRF token (no fixation), in the person's language: the one they last
   * chose here, else their identity provider's `locale`, else the session's (the browser's).
   */
  signIn(reply: FastifyReply, session: Session, user: ConsoleUser, locale?: string): Session {
    const lang = this.chosen.get(user.actorId) ?? spokenLanguage(locale) ?? session.lang;
    const next = this.store.rotate({ ...session, lang, user, pending: undefined, ended: undefined });
    this.setCookie(reply, next);
    return next;
  }

  /** The reader's language for this session, and for their later sign-ins when signed in (per person, issue 21). */
  choose(session: Session, lang: Language): void {
    session.lang = lang;
    if (session.user === undefined) return;
    if (this.chosen.size >= MAX_REMEMBERED_LANGUAGES) this.chosen.delete(this.chosen.keys().next().value!);
    this.chosen.delete(session.user.actorId);
    this.chosen.set(session.user.actorId, lang);
  }

  signOut(reply: FastifyReply, session: Session): void {
    this.store.destroy(session.id);
    const next = this.store.create(session.lang, 'signed-out');
    this.setCookie(reply, next);
  }

  flash(session: Session, flash: Flash): void {
    session.flash = flash;
  }

  /** What a page needs; the flash message is shown once. */
  context(session: Session, path: string): PageContext {
    const flash = session.flash;
    session.flash = undefined;
    return { lang: session.lang, csrf: session.csrf, user: session.user, flash, path };
  }

  private setCookie(reply: FastifyReply, session: Session): void {
    void reply.header('set-cookie', sessionCookie(this.cookieName, session.id, this.secure));
  }
}

export function sendPage(reply: FastifyReply, html: string, status = 200): void {
  void reply.status(status).headers(PAGE_HEADERS).send(html);
}

/** POST-redirect-GET: results and personal data stay out of URLs and the browser history. */
export function seeOther(reply: FastifyReply, location: string): void {
  void reply.status(303).header('location', location).header('cache-control', 'no-store').send();
}
