import { createHash } from 'node:crypto';
import { CHANNELS, PURPOSES } from '@kielto/contracts';
import { CurrentPermission } from '../consents/ledger-state';
import {
  PREFERENCE_PAGE_CSP,
  PREFERENCE_PAGE_CSS,
  PreferencePageModel,
  renderInvalidLinkPage,
  renderPreferencePage,
  rowAction,
} from './preference-page.view';

function rows(overrides: (row: CurrentPermission) => Partial<CurrentPermission> = () => ({})): CurrentPermission[] {
  return CHANNELS.flatMap((channel) =>
    PURPOSES.map((purpose) => {
      const row: CurrentPermission = { channel, purpose, consent: 'none', prohibited: false, since: null };
      return { ...row, ...overrides(row) };
    }),
  );
}

function model(overrides: Partial<PreferencePageModel> = {}): PreferencePageModel {
  return {
    lang: 'fi',
    rows: rows(),
    formAction: '/u/tok',
    pagePath: '/u/tok',
    csrf: '1.abc',
    saved: false,
    ...overrides,
  };
}

const count = (html: string, pattern: RegExp) => (html.match(pattern) ?? []).length;

describe(renderPreferencePage.name, () => {
  it('renders one labelled form per channel × purpose plus the prohibit-all form, each with the CSRF token', () => {
    const html = renderPreferencePage(model());
    expect(count(html, /<tr data-channel=/g)).toBe(16);
    expect(count(html, /<form method="post" action="\/u\/tok">/g)).toBe(17);
    expect(count(html, /name="csrf" value="1\.abc"/g)).toBe(17);
    expect(html).toContain('name="action" value="prohibit-all"');
    expect(html).toContain('<html lang="fi">');
    expect(html).toContain('<th scope="row">Sähköposti</th>');
    expect(html).toContain('Anna lupa<span class="vh"> – Sähköposti, oma markkinointi</span>');
    expect(html).not.toMatch(/<script|https?:\/\//);
  });

  it('speaks Swedish and English', () => {
    expect(renderPreferencePage(model({ lang: 'sv' }))).toContain('<h1>Marknadsföringstillstånd</h1>');
    const en = renderPreferencePage(model({ lang: 'en' }));
    expect(en).toContain('<h1>Marketing preferences</h1>');
    expect(en).toContain('<a href="/u/tok?lang=fi" lang="fi" hreflang="fi">Suomi</a>');
    expect(en).toContain('<span aria-current="true" lang="en">English</span>');
  });

  it('shows a saved notice as a status message', () => {
    expect(renderPreferencePage(model({ saved: true }))).toContain(
      '<p class="notice" role="status">Valintasi on tallennettu.</p>',
    );
    expect(renderPreferencePage(model())).not.toContain('role="status"');
  });

  it('offers lifting the prohibition once everything is prohibited', () => {
    const html = renderPreferencePage(model({ rows: rows(() => ({ prohibited: true })) }));
    expect(html).toContain('Olet kieltänyt kaiken suoramarkkinoinnin.');
    expect(html).toContain('name="action" value="lift-all"');
    expect(html).not.toContain('value="prohibit-all"');
  });

  it('shows a grant with its expiry, and the consent under a prohibition', () => {
    const html = renderPreferencePage(
      model({
        lang: 'en',
        rows: rows((r) =>
          r.channel === 'email' && r.purpose === 'profiling'
            ? { consent: 'granted', expiresAt: '2030-06-01T09:00:00.000Z' }
            : r.channel === 'sms'
              ? { consent: 'withdrawn', prohibited: true }
              : {},
        ),
      }),
    );
    expect(html).toContain('Consent given (valid until 1 Jun 2030, 12:00)');
    expect(html).toContain('<span class="state-prohibited">Prohibited</span> (Consent withdrawn)');
  });

  it('escapes what it embeds', () => {
    const html = renderPreferencePage(model({ formAction: '/u/"><script>x</script>', csrf: '"onmouseover=x' }));
    expect(html).not.toContain('<script>');
    expect(html).toContain('action="/u/&quot;&gt;&lt;script&gt;x&lt;/script&gt;"');
    expect(html).toContain('value="&quot;onmouseover=x"');
  });

  it('allows its inline style sheet by hash, and nothing else', () => {
    const hash = createHash('sha256').update(PREFERENCE_PAGE_CSS).digest('base64');
    expect(PREFERENCE_PAGE_CSP).toContain(`style-src 'sha256-${hash}'`);
    expect(PREFERENCE_PAGE_CSP).toContain("default-src 'none'");
    expect(renderPreferencePage(model())).toContain(`<style>${PREFERENCE_PAGE_CSS}</style>`);
  });
});

describe(rowAction.name, () => {
  const row = (r: Partial<CurrentPermission>): CurrentPermission => ({
    channel: 'email',
    purpose: 'own-marketing',
    consent: 'none',
    prohibited: false,
    since: null,
    ...r,
  });

  it('toggles consent for email and SMS', () => {
    expect(rowAction(row({ consent: 'granted' }))).toBe('withdraw');
    expect(rowAction(row({ consent: 'expired' }))).toBe('grant');
    expect(rowAction(row({ channel: 'sms', consent: 'withdrawn' }))).toBe('grant');
  });

  it('toggles the prohibition for phone and post, which need no consent (R4)', () => {
    expect(rowAction(row({ channel: 'phone' }))).toBe('prohibit');
    expect(rowAction(row({ channel: 'post', prohibited: true }))).toBe('lift-prohibition');
  });
});

describe(renderInvalidLinkPage.name, () => {
  it('explains in all three languages, the requested one first', () => {
    const html = renderInvalidLinkPage('sv');
    expect(html).toContain('<html lang="sv">');
    expect(html.indexOf('Länken är ogiltig')).toBeLessThan(html.indexOf('Linkki ei kelpaa'));
    expect(html).toContain('This link is not valid');
  });
});
