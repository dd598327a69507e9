import { Injectable } from '@nestjs/common';
import { Channel, CHANNELS, Language, Purpose, PURPOSES } from '@kielto/contracts';
import { fieldProblem, ProblemException } from '@kielto/platform';
import { ConsentsService, NewDecision } from '../consents/consents.service';
import { PAGE_ACTIONS, PageAction, renderPreferencePage } from './preference-page.view';
import { UnsubscribeTokenCodec, VerifiedToken } from './unsubscribe-token';

/** Who records self-service decisions: the person themselves, through a signed link. */
const SELF_SERVICE = 'self-service';

export type FormFields = Record<string, unknown>;

/**
 * The person's own opt-out, authenticated by the signed token of an unsubscribe link: the RFC 8058 one-click
 * POST, and the preference page with its forms.
 */
@Injectable()
export class PreferencePageService {
  constructor(
    private readonly consents: ConsentsService,
    private readonly tokens: UnsubscribeTokenCodec,
  ) {}

  /** The token's claims; a 400 problem (nothing written) for anything not signed by one of our keys. */
  verify(token: string): VerifiedToken {
    const verified = this.tokens.verify(token);
    if (!verified)
      throw fieldProblem('token', 'the unsubscribe link is not valid (tampered, truncated or unknown key)');
    return verified;
  }

  /**
   * One-click unsubscribe: a `withdraw` for the link's channel and purpose. A repeated POST of the same link
   * (mail providers retry) finds the entry it made before and adds nothing.
   */
  async oneClick(token: VerifiedToken): Promise<{ created: boolean }> {
    const { created } = await this.consents.recordOnce({
      ...this.decision(token, token.channel, token.purpose, 'withdraw', 'one-click-unsubscribe'),
      evidence: { capturedBy: SELF_SERVICE, reference: token.campaignId, tokenId: token.tokenId },
    });
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

  /** A form post of the page: CSRF-checked, then one decision for the token's subject. */
  async submit(token: VerifiedToken, form: FormFields): Promise<void> {
    if (!this.tokens.verifyCsrf(token, form.csrf)) {
      throw new ProblemException(
        403,
        'csrf',
        'The form has expired or did not come from this page; reload it and try again',
        [{ field: 'csrf', message: 'csrf must be the value of the page the form came from, at most 2 hours old' }],
      );
    }
    const action = oneOf(form.action, PAGE_ACTIONS, 'action');
    await this.consents.record(this.decisionFor(token, action, form));
  }

  private decisionFor(token: VerifiedToken, action: PageAction, form: FormFields): NewDecision {
    switch (action) {
      case 'prohibit-all':
        return this.decision(token, 'all', 'all', 'prohibit', 'preference-page');
      case 'lift-all':
        return this.decision(token, 'all', 'all', 'lift-prohibition', 'preference-page');
      case 'withdraw':
      case 'grant':
      case 'prohibit':
      case 'lift-prohibition': {
        const channel = oneOf<Channel>(form.channel, CHANNELS, 'channel');
        const purpose = oneOf<Purpose>(form.purpose, PURPOSES, 'purpose');
        return this.decision(token, channel, purpose, action, 'preference-page');
      }
      default:
        throw new Error(`unknown page action ${String(action satisfies never)}`);
    }
  }

  private decision(
    token: VerifiedToken,
    channel: NewDecision['channel'],
    purpose: NewDecision['purpose'],
    decision: NewDecision['decision'],
    source: string,
  ): NewDecision {
    return {
      subject: token.subject,
      channel,
      purpose,
      decision,
      source,
      evidence: { capturedBy: SELF_SERVICE, reference: token.campaignId },
    };
  }
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], field: string): T {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw fieldProblem(field, `${field} must be one of ${allowed.join(', ')}`);
}
