import { Body, Controller, Get, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Language } from '@kielto/contracts';
import { fieldProblem, ProblemException, Public } from '@kielto/platform';
import { ConsentsEnv } from '../consents.env';
import { FormFields, LinkGoneException, PreferencePageService } from './preference-page.service';
import { isLanguage, PREFERENCE_PAGE_CSP, renderInvalidLinkPage } from './preference-page.view';

const HTML_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': PREFERENCE_PAGE_CSP,
  'cache-control': 'no-store',
  'x-robots-tag': 'noindex, nofollow',
  'referrer-policy': 'no-referrer',
};

/**
 * `/u/<token>`: the address in a message's List-Unsubscribe header (RFC 8058 one-click POST) and the person's
 * preference page (GET, and its form POSTs). No API key: the signed token is the authorisation.
 */
@ApiTags('self-service')
@Controller('u')
export class PreferencePageController {
  private readonly publicHost: string | undefined;

  constructor(
    private readonly pages: PreferencePageService,
    env: ConsentsEnv,
  ) {
    this.publicHost = env.KIELTO_PUBLIC_URL ? new URL(env.KIELTO_PUBLIC_URL).host : undefined;
  }

  @Get(':token')
  @Public('limited')
  @ApiExcludeEndpoint()
  async page(
    @Param('token') token: string,
    @Query('lang') lang: string | undefined,
    @Query('saved') saved: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const language: Language | undefined = isLanguage(lang) ? lang : undefined;
    let verified;
    try {
      verified = await this.pages.open(token);
    } catch (error) {
      const gone = error instanceof LinkGoneException;
      if (!gone && !(error instanceof ProblemException)) throw error;
      void reply
        .status(gone ? 410 : 400)
        .headers(HTML_HEADERS)
        .send(renderInvalidLinkPage(language ?? 'fi', gone ? 'gone' : 'invalid'));
      return;
    }
    const html = await this.pages.render(verified, { path: `/u/${token}`, lang: language, saved: saved === '1' });
    void reply.status(200).headers(HTML_HEADERS).send(html);
  }

  /**
   * `List-Unsubscribe=One-Click` → withdraw for the link's channel and purpose, 200 (RFC 8058 senders POST this
   * from their servers, without cookies or an Origin, so it carries no CSRF token by design: it can only opt out).
   * A page form (`action`, `channel`, `purpose`, `csrf`) → its withdrawal or prohibition, then 303 back to the page.
   * An expired or revoked link: 410; more than 10 POSTs of one link a minute: 429 with Retry-After.
   */
  @Post(':token')
  @Public('limited')
  @ApiExcludeEndpoint()
  async submit(
    @Param('token') token: string,
    @Query('lang') lang: string | undefined,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const verified = await this.pages.open(token);
    const form: FormFields = typeof body === 'object' && body !== null ? (body as FormFields) : {};
    if (form.action === undefined) {
      if (form['List-Unsubscribe'] !== 'One-Click') {
        throw fieldProblem('List-Unsubscribe', 'the body must be List-Unsubscribe=One-Click (RFC 8058)');
      }
      await this.pages.oneClick(verified, String(request.id));
      void reply.status(200).header('cache-control', 'no-store').send({ status: 'unsubscribed' });
      return;
    }
    assertSameOrigin(request, this.publicHost);
    await this.pages.submit(verified, form, String(request.id));
    const query = isLanguage(lang) ? `?lang=${lang}&saved=1` : '?saved=1';
    void reply.status(303).header('location', `/u/${token}${query}`).header('cache-control', 'no-store').send();
  }
}

/**
 * Defence in depth next to the CSRF token: browsers mark every request with where it came from, and a page form
 * is only accepted when they say it came from the page itself. `Sec-Fetch-Site` must be `same-origin` when sent
 * (the page's `Referrer-Policy: no-referrer` makes even its own form posts carry `Origin: null`); a browser too
 * old to send it must send an `Origin` naming this host (or KIELTO_PUBLIC_URL's). A request with neither is not
 * from a browser on the page, and is refused: only the one-click POST is meant for servers.
 */
function assertSameOrigin(request: FastifyRequest, publicHost: string | undefined): void {
  const site = request.headers['sec-fetch-site'];
  const origin = request.headers.origin;
  let sameOrigin = false;
  if (typeof site === 'string') {
    sameOrigin = site === 'same-origin';
  } else if (typeof origin === 'string') {
    try {
      const host = new URL(origin).host;
      sameOrigin = host === request.headers.host || host === publicHost;
    } catch {
      sameOrigin = false; // "null" (sandboxed or privacy-redirected) or garbage
    }
  }
  if (!sameOrigin) {
    throw new ProblemException(403, 'csrf', 'Preference changes are only accepted from the preference page itself', [
      { field: 'sec-fetch-site', message: 'a page form must come from the page itself (Sec-Fetch-Site or Origin)' },
    ]);
  }
}
