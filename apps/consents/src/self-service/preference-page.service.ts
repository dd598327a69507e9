import { Injectable } from '@nestjs/common';
import { Channel, CHANNELS, Language, Purpose, PURPOSES, subjectKey } from '@kielto/contracts';
import { fieldProblem, ProblemException } from '@kielto/platform';
import { ConsentsService, NewDecision } from '../consents/consents.service';
import { LinkRateLimiter } from './link-rate-limiter';
import { LinkRevocationRepository } from './link-revocation.repository';
import { PAGE_ACTIONS, PageAction, renderPreferencePage, STAFF_ONLY_ACTIONS } from './preference-page.view';
import { CSRF_MAX_AGE_SECONDS, UnsubscribeTokenCodec, VerifiedToken } from './unsubscribe-token';

/** Who records self-service decisions: the person themselves, through a signed link. */
const SELF_SERVICE = 'self-service';

export type FormFields = Record<string, unknown>;

/** A link that verifies but no longer works (expired or revoked): 410, nothing written. */
export class LinkGoneException extends ProblemException {
  constructor(readonly reason: 'expired' | 'revoked') {
    super(
      410,
      `link-${reason}`,
      reason === 'expired'
        ? 'The unsubscribe link has expired; use the link in a newer message or contact customer service'
        : 'The unsubscribe link has been revoked; use the link in a newer message or contact customer service',
      [{ field: 'token', message: `the unsubscribe link has ${reason === 'expired' ? 'expired' : 'been revoked'}` }],
    );
  }
}

/**
 * The person's own opt-out, authenticated by the signed token of an unsubscribe link: the RFC 8058 one-click
 * POST, and the preference page with its forms.
 *
 * A link can only ever take permission away (withdraw, prohibit). Whoever holds it — the person, or anyone the
 * message was forwarded to — proves nothing about who they are, and a consent must be the person's own, provable
 * act (GDPR Art 7(1)): giving or restoring a permission needs a confirmation sent to the person's verified address,
 * and kielto has no channel to send one, so it is done by customer service (`POST /v1/consents`, staff).
 */
@Injectable()
export class PreferencePageService {
  constructor(
    private readonly consents: ConsentsService,
    private readonly tokens: UnsubscribeTokenCodec,
    private readonly revocations: LinkRevocationRepository,
    private readonly limiter: LinkRateLimiter,
  ) {}

  /**
   * The token's claims when the link still works: 400 problem for anything not signed by one of our keys, 410
   * (LinkGoneException) once it has expired or a revocation covers it. A revocation of any identifier of the
   * person (or of their customer id) covers the links made for every one of them.
   */
  async open(token: string, now = Date.now()): Promise<VerifiedToken> {
    const verified = this.tokens.verify(token);
    if (!verified)
      throw fieldProblem('token', 'the unsubscribe link is not valid (tampered, truncated or unknown key)');
    if (verified.expiresAt <= now) throw new LinkGoneException('expired');
    const { subjectKeys } = await this.consents.scopeOf(verified.subject);
    const revokedBefore = await this.revocations.latestOf([...new Set([subjectKey(verified.subject), ...subjectKeys])]);
    if (revokedBefore && verified.issuedAt <= revokedBefore.getTime()) throw new LinkGoneException('revoked');
    return verified;
  }

  /**
   * One-click unsubscribe: a `withdraw` for the link's channel and purpose. A repeated POST of the same link
   * (mail providers retry) finds the entry it made before and adds nothing.
   */
  async oneClick(token: VerifiedToken, requestId: string): Promise<{ created: boolean }> {
    this.throttle(token);
    const { created } = await this.consents.recordOnce(
      this.decision(token, token.channel, token.purpose, 'withdraw', 'one-click-unsubscribe', requestId),
    );
    return { created };
  }

  async render(token: VerifiedToken, page: { path: string; lang?: Language; saved: boolean }): Promise<string> {
    const { current, scope } = await this.consents.view(token.subject);
    const lang = page.lang ?? scope.language ?? 'fi';
    return renderPreferencePage({
      lang,
      rows: current,
      formAction: page.lang ? `${page.path}?lang=${page.lang}` : page.path,
      pagePath: page.path,
      csrf: this.tokens.csrfFor(token),
      saved: page.saved,
    });
  }

  /**
   * A form post of the page: rate-limited per link, CSRF-checked, then one withdrawal or prohibition for the
   * token's subject (nothing when it would repeat the link's own decision that still stands).
   */
  async submit(token: VerifiedToken, form: FormFields, requestId: string): Promise<void> {
    this.throttle(token);
    if (!this.tokens.verifyCsrf(token, form.csrf)) {
      throw new ProblemException(
        403,
        'csrf',
        'The form has expired or did not come from this page; reload it and try again',
        [
          {
            field: 'csrf',
            message: `csrf must be the value of the page the form came from, at most ${CSRF_MAX_AGE_SECONDS / 60} minutes old`,
          },
        ],
      );
    }
    if (typeof form.action === 'string' && (STAFF_ONLY_ACTIONS as readonly string[]).includes(form.action)) {
      throw new ProblemException(
        403,
        'staff-only',
        'An unsubscribe link can only withdraw consent or prohibit marketing; giving or restoring a permission is done through customer service',
        [{ field: 'action', message: `action must be one of ${PAGE_ACTIONS.join(', ')} through an unsubscribe link` }],
      );
    }
    const action = oneOf(form.action, PAGE_ACTIONS, 'action');
    await this.consents.recordOnce(this.decisionFor(token, action, form, requestId));
  }

  private throttle(token: VerifiedToken): void {
    const retryAfter = this.limiter.take(token.tokenId);
    if (retryAfter !== undefined) {
      throw new ProblemException(
        429,
        'too-many-requests',
        'Too many changes through this link; try again shortly',
        [{ field: 'token', message: 'this link was used too often in the last minute' }],
        { 'retry-after': String(retryAfter) },
      );
    }
  }

  private decisionFor(token: VerifiedToken, action: PageAction, form: FormFields, requestId: string) {
    switch (action) {
      case 'prohibit-all':
        return this.decision(token, 'all', 'all', 'prohibit', 'preference-page', requestId);
      case 'withdraw':
      case 'prohibit': {
        const channel = oneOf<Channel>(form.channel, CHANNELS, 'channel');
        const purpose = oneOf<Purpose>(form.purpose, PURPOSES, 'purpose');
        return this.decision(token, channel, purpose, action, 'preference-page', requestId);
      }
      default:
        throw new Error(`unknown page action ${String(action satisfies never)}`);
    }
  }

  /** A decision through the link, with evidence naming the link, the key that made it and the request. */
  private decision(
    token: VerifiedToken,
    channel: NewDecision['channel'],
    purpose: NewDecision['purpose'],
    decision: 'withdraw' | 'prohibit',
    source: string,
    requestId: string,
  ): NewDecision & { evidence: { tokenId: string } } {
    return {
      subject: token.subject,
      channel,
      purpose,
      decision,
      source,
      evidence: {
        capturedBy: SELF_SERVICE,
        reference: token.campaignId,
        tokenId: token.tokenId,
        ...(token.createdBy !== undefined ? { linkKeyId: token.createdBy } : {}),
        requestId,
      },
    };
  }
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], field: string): T {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw fieldProblem(field, `${field} must be one of ${allowed.join(', ')}`);
}
