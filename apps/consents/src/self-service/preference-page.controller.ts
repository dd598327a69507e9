import { Body, Controller, Get, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Language } from '@kielto/contracts';
import { fieldProblem, ProblemException, Public } from '@kielto/platform';
import { FormFields, PreferencePageService } from './preference-page.service';
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
  constructor(private readonly pages: PreferencePageService) {}

  @Get(':token')
  @Public()
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
      verified = this.pages.verify(token);
    } catch {
      void reply
        .status(400)
        .headers(HTML_HEADERS)
        .send(renderInvalidLinkPage(language ?? 'fi'));
      return;
    }
    const html = await this.pages.render(verified, { path: `/u/${token}`, lang: language, saved: saved === '1' });
    void reply.status(200).headers(HTML_HEADERS).send(html);
  }

  /**
   * `List-Unsubscribe=One-Click` → withdraw for the link's channel and purpose, 200 (RFC 8058 senders POST this
   * from their servers, without cookies or an Origin, so it carries no CSRF token by design: it can only opt out).
   * A page form (`action`, `channel`, `purpose`, `csrf`) → its decision, then 303 back to the page.
   */
  @Post(':token')
  @Public()
  @ApiExcludeEndpoint()
  async submit(
    @Param('token') token: string,
    @Query('lang') lang: string | undefined,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const verified = this.pages.verify(token);
    const form: FormFields = typeof body === 'object' && body !== null ? (body as FormFields) : {};
    if (form.action === undefined) {
      if (form['List-Unsubscribe'] !== 'One-Click') {
        throw fieldProblem('List-Unsubscribe', 'the body must be List-Unsubscribe=One-Click (RFC 8058)');
      }
      await this.pages.oneClick(verified);
      void reply.status(200).header('cache-control', 'no-store').send({ status: 'unsubscribed' });
      return;
    }
    assertSameOrigin(request);
    await this.pages.submit(verified, form);
    const query = isLanguage(lang) ? `?lang=${lang}&saved=1` : '?saved=1';
    void reply.status(303).header('location', `/u/${token}${query}`).header('cache-control', 'no-store').send();
  }
}

/**
 * Defence in depth next to the CSRF token: browsers mark every request with where it came from. A page form is
 * only accepted from the page itself. `Sec-Fetch-Site` decides where the browser sends it (the page's
 * `Referrer-Policy: no-referrer` makes even its own form posts carry `Origin: null`); older browsers are judged by
 * `Origin`, which must then name this host.
 */
function assertSameOrigin(request: FastifyRequest): void {
  const site = request.headers['sec-fetch-site'];
  const origin = request.headers.origin;
  let sameOrigin = true;
  if (typeof site === 'string') {
    sameOrigin = site === 'same-origin' || site === 'none';
  } else if (typeof origin === 'string') {
    try {
      sameOrigin = new URL(origin).host === request.headers.host;
    } catch {
      sameOrigin = false; // "null" (sandboxed or privacy-redirected) or garbage
    }
  }
  if (!sameOrigin) {
    throw new ProblemException(403, 'csrf', 'Preference changes are only accepted from the preference page itself');
  }
}
