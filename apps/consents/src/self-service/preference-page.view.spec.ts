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
  it('offers only withdrawals and prohibitions, each a labelled form with the CSRF token', () => {
    // Nothing granted yet: e-mail and SMS rows have nothing to withdraw; phone and post rows can be prohibited.
    const html = renderPreferencePage(model());
    expect(count(html, /<tr data-channel=/g)).toBe(16);
    expect(count(html, /<form method="post" action="\/u\/tok">/g)).toBe(9);
    expect(count(html, /name="csrf" value="1\.abc"/g)).toBe(9);
    expect(count(html, /name="action" value="prohibit"/g)).toBe(8);
    expect(html).toContain('name="action" value="prohibit-all"');
    expect(html).toContain('<html lang="fi">');
    expect(html).toContain('<th scope="row">Sähköposti</th>');
    expect(html).toContain('Kiellä<span class="vh"> – Puhelin, oma markkinointi</span>');
    expect(html).not.toMatch(/value="(grant|lift-prohibition|lift-all)"/);
    expect(html).toContain('Luvan voit antaa ja kiellon perua asiakaspalvelussa');
    expect(html).not.toMatch(/<script|https?:\/\//);

    const granted = renderPreferencePage(model({ rows: rows(() => ({ consent: 'granted', prohibited: true })) }));
    expect(count(granted, /name="action" value="withdraw"/g)).toBe(8);
    expect(granted).not.toMatch(/value="(grant|prohibit|lift-prohibition|lift-all)"/);
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

  it('says everything is prohibited, and sends lifting it to customer service (in every language)', () => {
    const html = renderPreferencePage(model({ rows: rows(() => ({ prohibited: true })) }));
    expect(html).toContain('Olet kieltänyt kaiken suoramarkkinoinnin.');
    expect(html).not.toMatch(/value="(lift-all|prohibit-all|lift-prohibition)"/);
    expect(html).toContain('Asiakaspalvelun kautta');
    expect(renderPreferencePage(model({ lang: 'sv' }))).toContain(
      'Samtycke ger du och förbud häver du via kundtjänsten',
    );
    expect(renderPreferencePage(model({ lang: 'en' }))).toContain('To give consent or lift a prohibition, contact');
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

  it('withdraws a consent of email and SMS, never gives one', () => {
    expect(rowAction(row({ consent: 'granted' }))).toBe('withdraw');
    expect(rowAction(row({ consent: 'expired' }))).toBeUndefined();
    expect(rowAction(row({ channel: 'sms', consent: 'withdrawn' }))).toBeUndefined();
  });

  it('offers the refusal of own marketing that the customer relationship allows (R2, §200(3))', () => {
    expect(rowAction(row({ allowedByRelationship: true }))).toBe('withdraw');
    for (const lang of ['fi', 'sv', 'en'] as const) {
      const html = renderPreferencePage(
        model({
          lang,
          rows: rows((r) =>
            r.channel === 'sms' && r.purpose === 'own-marketing' ? { allowedByRelationship: true } : {},
          ),
        }),
      );
      expect(html).toContain(
        {
          fi: 'Sallittu asiakkuuden perusteella',
          sv: 'Tillåtet på grund av kundförhållandet',
          en: 'Allowed because you are our customer',
        }[lang],
      );
    }
  });

  it('prohibits phone and post, which need no consent (R4), never lifts a prohibition', () => {
    expect(rowAction(row({ channel: 'phone' }))).toBe('prohibit');
    expect(rowAction(row({ channel: 'post', prohibited: true }))).toBeUndefined();
  });
});

describe(renderInvalidLinkPage.name, () => {
  it('explains in all three languages, the requested one first', () => {
    const html = renderInvalidLinkPage('sv');
    expect(html).toContain('<html lang="sv">');
    expect(html.indexOf('Länken är ogiltig')).toBeLessThan(html.indexOf('Linkki ei kelpaa'));
    expect(html).toContain('This link is not valid');
  });

  it('says an expired or revoked link no longer works', () => {
    const html = renderInvalidLinkPage('en', 'gone');
    expect(html).toContain('<h1>This link no longer works</h1>');
    expect(html).toContain('Linkki ei ole enää voimassa');
    expect(html).toContain('Länken gäller inte längre');
  });
});
