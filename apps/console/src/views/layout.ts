import { createHash } from 'node:crypto';
import { Language, LANGUAGES } from '@kielto/contracts';
import { escapeHtml as esc } from '@kielto/platform';
import { MessageKey, Translate, translator, wordFor } from '../i18n/messages';
import { offersFor } from '../session/offers';
import type { ConsoleUser, Flash } from '../session/session-store';

/**
 * The console's pages are rendered on the server as plain HTML forms: no JavaScript at all, no third-party
 * assets, one inline style sheet allowed by its hash (so the Content-Security-Policy needs no 'unsafe-inline').
 * Every value a page did not write itself goes through `esc`. Titles never hold personal data.
 */
export const CONSOLE_CSS = `
*{box-sizing:border-box}
body{margin:0;font:1rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1b1b;background:#fff}
header{background:#0b3a63;color:#fff;padding:.5rem 1rem;display:flex;flex-wrap:wrap;gap:1rem;align-items:center;justify-content:space-between}
header a,header button.link{color:#fff}
header .brand{font-weight:700;font-size:1.125rem;color:#fff;text-decoration:none}
nav ul{list-style:none;display:flex;flex-wrap:wrap;gap:1rem;padding:0;margin:0;align-items:center}
main{max-width:72rem;margin:0 auto;padding:1rem 1rem 3rem}
h1{font-size:1.75rem;margin:.5rem 0 1rem}
h2{font-size:1.25rem;margin:2rem 0 .5rem}
a{color:#0b4f8a}
a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible,summary:focus-visible{outline:3px solid #1b1b1b;outline-offset:2px;box-shadow:0 0 0 5px #ffd54a}
.skip{position:absolute;left:-999px;top:0;background:#fff;color:#0b4f8a;padding:.5rem}
.skip:focus{left:1rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
caption{text-align:left;font-weight:600;padding:.5rem 0}
th,td{text-align:left;padding:.4rem .5rem;border-bottom:1px solid #767676;vertical-align:top}
form{margin:0}
fieldset{border:1px solid #767676;border-radius:.25rem;margin:0 0 1rem;padding:.75rem 1rem}
legend{font-weight:600;padding:0 .25rem}
label{display:block;font-weight:600;margin:.5rem 0 .25rem}
label.inline{display:inline-block;font-weight:400;margin:.25rem 1rem .25rem 0}
input[type=text],input[type=email],input[type=tel],input[type=password],input[type=date],select{font:inherit;padding:.375rem .5rem;border:2px solid #4a4a4a;border-radius:.25rem;min-width:16rem;max-width:100%}
button{font:inherit;cursor:pointer;border-radius:.25rem;padding:.375rem .75rem;border:2px solid #0b4f8a;background:#0b4f8a;color:#fff;margin-top:.5rem}
button.secondary{background:#fff;color:#0b4f8a}
button.danger{background:#8b1a1a;border-color:#8b1a1a}
button.link{background:none;border:none;padding:0;margin:0;text-decoration:underline}
.allow{color:#1e6b35;font-weight:600}
.suppress{color:#8b1a1a;font-weight:600}
.muted{color:#4a4a4a}
.notice{border-left:.375rem solid #1e6b35;background:#eef7f0;padding:.75rem 1rem}
.alert{border-left:.375rem solid #8b1a1a;background:#fbeeee;padding:.75rem 1rem}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(20rem,1fr));gap:1rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}
dt{font-weight:600}
dd{margin:0}
`;

export const CONSOLE_CSP = [
  "default-src 'none'",
  `style-src 'sha256-${createHash('sha256').update(CONSOLE_CSS, 'utf8').digest('base64')}'`,
  "script-src 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

/** What every page needs to know about who is reading it. */
export interface PageContext {
  lang: Language;
  csrf: string;
  user?: ConsoleUser;
  flash?: Flash;
  /** The path of this page, where the language form returns to. */
  path: string;
}

export { esc };

export const hidden = (name: string, value: string) =>
  `<input type="hidden" name="${esc(name)}" value="${esc(value)}">`;

/** A POST form carrying the session's CSRF token. */
export function postForm(ctx: PageContext, action: string, inner: string, attrs = ''): string {
  return `<form method="post" action="${esc(action)}"${attrs}>${hidden('csrf', ctx.csrf)}${inner}</form>`;
}

export const LANGUAGE_NAMES: Record<Language, string> = { fi: 'Suomi', sv: 'Svenska', en: 'English' };

export function formatDate(iso: string | undefined, lang: Language): string {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const locale = lang === 'fi' ? 'fi-FI' : lang === 'sv' ? 'sv-FI' : 'en-GB';
  return date.toLocaleString(locale, { timeZone: 'Europe/Helsinki', dateStyle: 'medium', timeStyle: 'short' });
}

export function formatDay(iso: string | undefined, lang: Language): string {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const locale = lang === 'fi' ? 'fi-FI' : lang === 'sv' ? 'sv-FI' : 'en-GB';
  return date.toLocaleDateString(locale, { timeZone: 'Europe/Helsinki', dateStyle: 'medium' });
}

/** The page around `body`: skip link, navigation for the signed-in, language switch, the flash message. */
export function page(ctx: PageContext, titleKey: MessageKey, body: string): string {
  const t = translator(ctx.lang);
  const title = `${t(titleKey)} – ${t('app.name')}`;
  const languages = postForm(
    ctx,
    '/language',
    hidden('return', ctx.path) +
      LANGUAGES.map((lang) =>
        lang === ctx.lang
          ? `<span aria-current="true" lang="${lang}">${LANGUAGE_NAMES[lang]}</span>`
          : `<button type="submit" class="link" name="lang" value="${lang}" lang="${lang}">${LANGUAGE_NAMES[lang]}</button>`,
      ).join(' '),
    ` aria-label="${esc(t('app.languages'))}"`,
  );
  const nav = ctx.user
    ? `<nav aria-label="${esc(t('nav.label'))}"><ul>` +
      `<li><a href="/search">${esc(t('nav.search'))}</a></li>` +
      `<li><a href="/requests">${esc(t('nav.requests'))}</a></li>` +
      (offersFor(ctx.user).retention ? `<li><a href="/retention">${esc(t('nav.retention'))}</a></li>` : '') +
      `<li><a href="/clearances">${esc(t('nav.clearances'))}</a></li>` +
      `<li>${esc(t('app.signedInAs', { name: ctx.user.name ?? ctx.user.actorId, role: wordFor(t, 'roles', ctx.user.role) }))}</li>` +
      `<li>${postForm(ctx, '/logout', `<button type="submit" class="link">${esc(t('nav.signOut'))}</button>`)}</li>` +
      `</ul></nav>`
    : '';
  // A parameter may itself be a catalogue key (`channels.email`): shown in the reader's language.
  const params = Object.fromEntries(
    Object.entries(ctx.flash?.params ?? {}).map(([name, value]) => [name, t(value as MessageKey)]),
  );
  const flash = ctx.flash
    ? `<p class="${ctx.flash.kind}" role="${ctx.flash.kind === 'alert' ? 'alert' : 'status'}">${esc(t(ctx.flash.key as MessageKey, params))}</p>`
    : '';
  return `<!doctype html>
<html lang="${ctx.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<meta name="referrer" content="no-referrer">
<title>${esc(title)}</title>
<style>${CONSOLE_CSS}</style>
</head>
<body>
<a class="skip" href="#main">${esc(t('app.skip'))}</a>
<header><a class="brand" href="/">${esc(t('app.name'))}</a>${nav}${languages}</header>
<main id="main" tabindex="-1">
<h1>${esc(t(titleKey))}</h1>
${flash}
${body}
</main>
</body>
</html>
`;
}

/** A `<select>` of catalogue words for the given values. */
export function select(
  t: Translate,
  name: string,
  label: string,
  group: string,
  values: readonly string[],
  id: string,
): string {
  return (
    `<label for="${id}">${esc(label)}</label><select id="${id}" name="${esc(name)}">` +
    values.map((v) => `<option value="${esc(v)}">${esc(wordFor(t, group, v))}</option>`).join('') +
    `</select>`
  );
}

/** Check boxes of catalogue words, one name. */
export function checkboxes(
  t: Translate,
  name: string,
  legend: string,
  group: string,
  values: readonly string[],
  id: string,
): string {
  return (
    `<fieldset><legend>${esc(legend)}</legend>` +
    values
      .map(
        (v) =>
          `<label class="inline" for="${id}-${v}"><input type="checkbox" id="${id}-${v}" name="${esc(name)}" value="${esc(v)}"> ${esc(wordFor(t, group, v))}</label>`,
      )
      .join('') +
    `</fieldset>`
  );
}

export function confirmBox(t: Translate, id: string): string {
  return `<label class="inline" for="${id}"><input type="checkbox" id="${id}" name="confirm" value="yes" required> ${esc(t('actions.confirm'))}</label><br>`;
}
