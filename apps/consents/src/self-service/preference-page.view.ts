import { createHash } from 'node:crypto';
import { Channel, Language, LANGUAGES, Purpose } from '@kielto/contracts';
import { escapeHtml as esc } from '@kielto/platform';
import { CurrentPermission } from '../consents/ledger-state';

/**
 * The self-service preference page, rendered on the server: plain HTML forms (no JavaScript), no third-party
 * assets, one inline style sheet allowed by its hash in the page's own Content-Security-Policy. Finnish, Swedish
 * and English. Every control is a real <button> inside a <form> with a text label, so it works by keyboard and
 * screen reader; colours keep a contrast of at least 7:1 for text and controls.
 */

/**
 * The changes a person can make on the page: only ever taking permission away. Giving or restoring one needs a
 * confirmation the link holder cannot provide (see PreferencePageService), so the page sends people to customer
 * service for those.
 */
export type PageAction = 'withdraw' | 'prohibit' | 'prohibit-all';
export const PAGE_ACTIONS: readonly PageAction[] = ['withdraw', 'prohibit', 'prohibit-all'];
/** Actions the page once offered, refused by name (403) rather than as unknown input. */
export const STAFF_ONLY_ACTIONS = ['grant', 'lift-prohibition', 'lift-all'] as const;

export interface PreferencePageModel {
  lang: Language;
  rows: readonly CurrentPermission[];
  /** Where the forms post to: the page's own URL (path and query). */
  formAction: string;
  /** Path of the page without a query, for the language links. */
  pagePath: string;
  csrf: string;
  saved: boolean;
}

interface Messages {
  title: string;
  intro: string;
  tableCaption: string;
  channel: string;
  purpose: string;
  status: string;
  change: string;
  channels: Record<Channel, string>;
  purposes: Record<Purpose, string>;
  state: {
    granted: string;
    withdrawn: string;
    expired: string;
    none: string;
    prohibited: string;
    allowed: string;
    /** R2: own marketing allowed by the customer relationship, until refused */
    relationship: string;
  };
  until: string;
  actions: Record<PageAction, string>;
  optOutNote: string;
  prohibitHeading: string;
  prohibitText: string;
  prohibitedAll: string;
  viaCustomerService: string;
  staffOnlyNote: string;
  saved: string;
  languages: string;
  invalidTitle: string;
  invalidText: string;
  goneTitle: string;
  goneText: string;
}

const MESSAGES: Record<Language, Messages> = {
  fi: {
    title: 'Markkinointiluvat',
    intro: 'Täällä näet, millaista suoramarkkinointia sinulle saa lähettää, ja voit muuttaa valintojasi.',
    tableCaption: 'Luvat kanavittain ja tarkoituksittain',
    channel: 'Kanava',
    purpose: 'Tarkoitus',
    status: 'Tila',
    change: 'Muuta',
    channels: { email: 'Sähköposti', sms: 'Tekstiviesti', phone: 'Puhelin', post: 'Kirje' },
    purposes: {
      'own-marketing': 'Oma markkinointi',
      'partner-marketing': 'Yhteistyökumppanien markkinointi',
      profiling: 'Profilointi',
      'market-research': 'Markkinatutkimukset',
    },
    state: {
      granted: 'Lupa annettu',
      withdrawn: 'Lupa peruttu',
      expired: 'Lupa vanhentunut',
      none: 'Ei lupaa',
      prohibited: 'Kielletty',
      allowed: 'Sallittu',
      relationship: 'Sallittu asiakkuuden perusteella',
    },
    until: 'voimassa {date} asti',
    actions: {
      withdraw: 'Peru lupa',
      prohibit: 'Kiellä',
      'prohibit-all': 'Kiellä kaikki suoramarkkinointi',
    },
    optOutNote: 'Puhelin- ja kirjemarkkinointi on sallittua, ellet kiellä sitä.',
    prohibitHeading: 'Kiellä kaikki suoramarkkinointi',
    prohibitText:
      'Sinulla on oikeus milloin tahansa kieltää henkilötietojesi käyttö suoramarkkinointiin (EU:n tietosuoja-asetus, 21 artikla). Kielto koskee kaikkia kanavia ja tarkoituksia, myös profilointia, ja on voimassa, kunnes itse perut sen.',
    prohibitedAll: 'Olet kieltänyt kaiken suoramarkkinoinnin.',
    viaCustomerService: 'Asiakaspalvelun kautta',
    staffOnlyNote:
      'Luvan voit antaa ja kiellon perua asiakaspalvelussa, jotta voimme varmistaa, että pyyntö tulee sinulta. Tällä sivulla voit perua lupia ja kieltää markkinointia.',
    saved: 'Valintasi on tallennettu.',
    languages: 'Kieli',
    invalidTitle: 'Linkki ei kelpaa',
    invalidText: 'Linkki on virheellinen. Voit kieltää markkinoinnin myös ottamalla yhteyttä asiakaspalveluun.',
    goneTitle: 'Linkki ei ole enää voimassa',
    goneText:
      'Tämä linkki on vanhentunut tai poistettu käytöstä. Voit kieltää markkinoinnin uudemman viestin linkillä tai ottamalla yhteyttä asiakaspalveluun.',
  },
  sv: {
    title: 'Marknadsföringstillstånd',
    intro: 'Här ser du vilken direktmarknadsföring som får skickas till dig, och du kan ändra dina val.',
    tableCaption: 'Tillstånd per kanal och ändamål',
    channel: 'Kanal',
    purpose: 'Ändamål',
    status: 'Status',
    change: 'Ändra',
    channels: { email: 'E-post', sms: 'Sms', phone: 'Telefon', post: 'Brev' },
    purposes: {
      'own-marketing': 'Egen marknadsföring',
      'partner-marketing': 'Samarbetspartners marknadsföring',
      profiling: 'Profilering',
      'market-research': 'Marknadsundersökningar',
    },
    state: {
      granted: 'Samtycke givet',
      withdrawn: 'Samtycke återkallat',
      expired: 'Samtycket har gått ut',
      none: 'Inget samtycke',
      prohibited: 'Förbjudet',
      allowed: 'Tillåtet',
      relationship: 'Tillåtet på grund av kundförhållandet',
    },
    until: 'gäller till {date}',
    actions: {
      withdraw: 'Återkalla samtycke',
      prohibit: 'Förbjud',
      'prohibit-all': 'Förbjud all direktmarknadsföring',
    },
    optOutNote: 'Telefon- och brevmarknadsföring är tillåten om du inte förbjuder den.',
    prohibitHeading: 'Förbjud all direktmarknadsföring',
    prohibitText:
      'Du har rätt att när som helst förbjuda att dina personuppgifter används för direktmarknadsföring (EU:s dataskyddsförordning, artikel 21). Förbudet gäller alla kanaler och ändamål, även profilering, tills du själv häver det.',
    prohibitedAll: 'Du har förbjudit all direktmarknadsföring.',
    viaCustomerService: 'Via kundtjänsten',
    staffOnlyNote:
      'Samtycke ger du och förbud häver du via kundtjänsten, så att vi kan försäkra oss om att begäran kommer från dig. På den här sidan kan du återkalla samtycken och förbjuda marknadsföring.',
    saved: 'Ditt val har sparats.',
    languages: 'Språk',
    invalidTitle: 'Länken är ogiltig',
    invalidText: 'Länken är felaktig. Du kan också förbjuda marknadsföring genom att kontakta kundtjänsten.',
    goneTitle: 'Länken gäller inte längre',
    goneText:
      'Länken har gått ut eller tagits ur bruk. Du kan förbjuda marknadsföring via länken i ett nyare meddelande eller genom att kontakta kundtjänsten.',
  },
  en: {
    title: 'Marketing preferences',
    intro: 'Here you can see which direct marketing may be sent to you, and change your choices.',
    tableCaption: 'Permissions by channel and purpose',
    channel: 'Channel',
    purpose: 'Purpose',
    status: 'Status',
    change: 'Change',
    channels: { email: 'Email', sms: 'Text message', phone: 'Phone', post: 'Letter' },
    purposes: {
      'own-marketing': 'Our own marketing',
      'partner-marketing': "Partners' marketing",
      profiling: 'Profiling',
      'market-research': 'Market research',
    },
    state: {
      granted: 'Consent given',
      withdrawn: 'Consent withdrawn',
      expired: 'Consent expired',
      none: 'No consent',
      prohibited: 'Prohibited',
      allowed: 'Allowed',
      relationship: 'Allowed because you are our customer',
    },
    until: 'valid until {date}',
    actions: {
      withdraw: 'Withdraw consent',
      prohibit: 'Prohibit',
      'prohibit-all': 'Prohibit all direct marketing',
    },
    optOutNote: 'Phone and postal marketing is allowed unless you prohibit it.',
    prohibitHeading: 'Prohibit all direct marketing',
    prohibitText:
      'You have the right to object at any time to the use of your personal data for direct marketing (GDPR Article 21). The prohibition covers every channel and purpose, profiling included, and stays until you lift it yourself.',
    prohibitedAll: 'You have prohibited all direct marketing.',
    viaCustomerService: 'Via customer service',
    staffOnlyNote:
      'To give consent or lift a prohibition, contact customer service, so that we can be sure the request comes from you. On this page you can withdraw consent and prohibit marketing.',
    saved: 'Your choice has been saved.',
    languages: 'Language',
    invalidTitle: 'This link is not valid',
    invalidText: 'The link is malformed. You can also prohibit marketing by contacting customer service.',
    goneTitle: 'This link no longer works',
    goneText:
      'The link has expired or been revoked. You can prohibit marketing through the link in a newer message or by contacting customer service.',
  },
};

const LANGUAGE_NAMES: Record<Language, string> = { fi: 'Suomi', sv: 'Svenska', en: 'English' };
const LOCALES: Record<Language, string> = { fi: 'fi-FI', sv: 'sv-FI', en: 'en-GB' };

export const PREFERENCE_PAGE_CSS = `
*{box-sizing:border-box}
body{margin:0;font:1rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1b1b;background:#fff}
main{max-width:56rem;margin:0 auto;padding:1.5rem 1rem 3rem}
h1{font-size:1.75rem;margin:.5rem 0 1rem}
h2{font-size:1.25rem;margin:2rem 0 .5rem}
nav ul{list-style:none;display:flex;gap:1rem;padding:0;margin:0}
a{color:#0b4f8a}
a:focus-visible,button:focus-visible{outline:3px solid #1b1b1b;outline-offset:2px;box-shadow:0 0 0 5px #fff}
table{border-collapse:collapse;width:100%}
caption{text-align:left;font-weight:600;padding:.5rem 0}
th,td{text-align:left;padding:.5rem;border-bottom:1px solid #767676;vertical-align:middle}
form{margin:0}
button{font:inherit;cursor:pointer;border-radius:.25rem;padding:.375rem .75rem;border:2px solid #0b4f8a;background:#0b4f8a;color:#fff}
button.secondary{background:#fff;color:#0b4f8a}
button.danger{background:#8b1a1a;border-color:#8b1a1a;padding:.625rem 1rem}
.state-prohibited{color:#8b1a1a;font-weight:600}
.muted{color:#4a4a4a}
.notice{border-left:.375rem solid #1e6b35;background:#eef7f0;padding:.75rem 1rem}
.alert{border-left:.375rem solid #8b1a1a;background:#fbeeee;padding:.75rem 1rem}
.vh{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
`;

/** CSP source of the inline style sheet: the page needs no 'unsafe-inline'. */
export const PREFERENCE_PAGE_STYLE_SRC = `'sha256-${createHash('sha256').update(PREFERENCE_PAGE_CSS, 'utf8').digest('base64')}'`;

export const PREFERENCE_PAGE_CSP = [
  "default-src 'none'",
  `style-src ${PREFERENCE_PAGE_STYLE_SRC}`,
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);
}

/**
 * Email and SMS need consent: a granted one — or own marketing the customer relationship allows (R2) — can be withdrawn. Phone and post are allowed until prohibited: they
 * can be prohibited. Undefined when the only change left would give or restore permission (customer service).
 */
export function rowAction(row: CurrentPermission): PageAction | undefined {
  switch (row.channel) {
    case 'email':
    case 'sms':
      return row.consent === 'granted' || row.allowedByRelationship ? 'withdraw' : undefined;
    case 'phone':
    case 'post':
      return row.prohibited ? undefined : 'prohibit';
    default:
      throw new Error(`unknown channel ${String(row.channel satisfies never)}`);
  }
}

export function renderPreferencePage(model: PreferencePageModel): string {
  const t = MESSAGES[model.lang];
  const allProhibited = model.rows.length > 0 && model.rows.every((r) => r.prohibited);
  const hidden = (name: string, value: string) => `<input type="hidden" name="${name}" value="${esc(value)}">`;
  const form = (action: PageAction, label: string, extra: string, className?: string) =>
    `<form method="post" action="${esc(model.formAction)}">${hidden('csrf', model.csrf)}${hidden('action', action)}${extra}` +
    `<button type="submit"${className ? ` class="${className}"` : ''}>${label}</button></form>`;

  const rows = model.rows
    .map((row) => {
      const action = rowAction(row);
      const what = `${t.channels[row.channel]}, ${t.purposes[row.purpose].toLowerCase()}`;
      const button = action
        ? form(
            action,
            `${esc(t.actions[action])}<span class="vh"> – ${esc(what)}</span>`,
            hidden('channel', row.channel) + hidden('purpose', row.purpose),
            'secondary',
          )
        : `<span class="muted">${esc(t.viaCustomerService)}</span>`;
      return (
        `<tr data-channel="${row.channel}" data-purpose="${row.purpose}">` +
        `<th scope="row">${esc(t.channels[row.channel])}</th><td>${esc(t.purposes[row.purpose])}</td>` +
        `<td>${stateText(row, model.lang)}</td><td>${button}</td></tr>`
      );
    })
    .join('\n');

  const languageLinks = LANGUAGES.map((lang) =>
    lang === model.lang
      ? `<li><span aria-current="true" lang="${lang}">${LANGUAGE_NAMES[lang]}</span></li>`
      : `<li><a href="${esc(`${model.pagePath}?lang=${lang}`)}" lang="${lang}" hreflang="${lang}">${LANGUAGE_NAMES[lang]}</a></li>`,
  ).join('');

  return `<!doctype html>
<html lang="${model.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<meta name="referrer" content="no-referrer">
<title>${esc(t.title)}</title>
<style>${PREFERENCE_PAGE_CSS}</style>
</head>
<body>
<main>
<nav aria-label="${esc(t.languages)}"><ul>${languageLinks}</ul></nav>
<h1>${esc(t.title)}</h1>
${model.saved ? `<p class="notice" role="status">${esc(t.saved)}</p>` : ''}
<p>${esc(t.intro)}</p>
<table>
<caption>${esc(t.tableCaption)}</caption>
<thead><tr><th scope="col">${esc(t.channel)}</th><th scope="col">${esc(t.purpose)}</th><th scope="col">${esc(t.status)}</th><th scope="col">${esc(t.change)}</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
<p>${esc(t.optOutNote)}</p>
<p id="staff-only">${esc(t.staffOnlyNote)}</p>
<section aria-labelledby="prohibit-heading">
<h2 id="prohibit-heading">${esc(t.prohibitHeading)}</h2>
<p>${esc(t.prohibitText)}</p>
${
  allProhibited
    ? `<p class="alert" id="prohibited-all">${esc(t.prohibitedAll)}</p>`
    : form('prohibit-all', esc(t.actions['prohibit-all']), '', 'danger')
}
</section>
</main>
</body>
</html>
`;
}

/**
 * Shown for a link that does not verify (`invalid`), or that has expired or been revoked (`gone`): says so in all
 * three languages (the page does not look up whose it was).
 */
export function renderInvalidLinkPage(lang: Language, kind: 'invalid' | 'gone' = 'invalid'): string {
  const title = (l: Language) => (kind === 'invalid' ? MESSAGES[l].invalidTitle : MESSAGES[l].goneTitle);
  const text = (l: Language) => (kind === 'invalid' ? MESSAGES[l].invalidText : MESSAGES[l].goneText);
  const order = [lang, ...LANGUAGES.filter((l) => l !== lang)];
  const blocks = order
    .map(
      (l) =>
        `<section lang="${l}"><h${l === lang ? 1 : 2}>${esc(title(l))}</h${l === lang ? 1 : 2}><p>${esc(text(l))}</p></section>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="${lang}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex, nofollow">
<title>${esc(title(lang))}</title><style>${PREFERENCE_PAGE_CSS}</style></head>
<body><main>
${blocks}
</main></body>
</html>
`;
}

function stateText(row: CurrentPermission, lang: Language): string {
  const t = MESSAGES[lang];
  const prohibited = `<span class="state-prohibited">${esc(t.state.prohibited)}</span>`;
  if (row.channel === 'phone' || row.channel === 'post') return row.prohibited ? prohibited : esc(t.state.allowed);
  // The consent stays on record under a prohibition; show both, so the toggle beside it makes sense.
  if (row.allowedByRelationship) return esc(t.state.relationship);
  const text = row.prohibited ? `${prohibited} (${esc(t.state[row.consent])})` : esc(t.state[row.consent]);
  if (row.consent === 'granted' && row.expiresAt) {
    const date = new Intl.DateTimeFormat(LOCALES[lang], {
      dateStyle: 'medium',
      timeStyle: 'short',
      timeZone: 'Europe/Helsinki',
    }).format(new Date(row.expiresAt));
    return `${text} (${esc(t.until.replace('{date}', date))})`;
  }
  return text;
}
