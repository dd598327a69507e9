import { translator } from '../i18n/messages';
import { esc, page, PageContext, postForm } from './layout';

export interface Found {
  id: string;
  name: string;
  customerNumber: string;
}

export interface SearchModel {
  /** dpo and admin may search by identity code. */
  identityCodeSearch: boolean;
  /** Undefined before a search. */
  results?: Found[];
  problem?: { key: Parameters<ReturnType<typeof translator>>[0]; params?: Record<string, string> };
}

export function renderSearch(ctx: PageContext, model: SearchModel): string {
  const t = translator(ctx.lang);
  const field = (name: string, type: string, label: string, autocomplete: string) =>
    `<label for="${name}">${esc(label)}</label><input type="${type}" id="${name}" name="${name}" autocomplete="${autocomplete}">`;
  const contact = postForm(
    ctx,
    '/search',
    `<fieldset><legend>${esc(t('search.intro'))}</legend>` +
      field('email', 'email', t('search.email'), 'off') +
      field('phone', 'tel', t('search.phone'), 'off') +
      field('customerNumber', 'text', t('search.customerNumber'), 'off') +
      `<br><button type="submit">${esc(t('search.submit'))}</button></fieldset>`,
  );
  const identity = model.identityCodeSearch
    ? `<h2 id="identity-heading">${esc(t('search.identityHeading'))}</h2><p>${esc(t('search.identityNote'))}</p>` +
      postForm(
        ctx,
        '/search/identity-code',
        field('personalIdentityCode', 'password', t('search.identityCode'), 'off') +
          `<br><button type="submit">${esc(t('search.submit'))}</button>`,
        ' aria-labelledby="identity-heading"',
      )
    : '';
  const problem = model.problem
    ? `<p class="alert" role="alert">${esc(t(model.problem.key, model.problem.params))}</p>`
    : '';
  let results = '';
  if (model.results !== undefined) {
    results =
      `<section aria-labelledby="results-heading"><h2 id="results-heading">${esc(t('search.results'))}</h2>` +
      (model.results.length === 0
        ? `<p role="status">${esc(t('search.none'))}</p>`
        : `<table><thead><tr><th scope="col">${esc(t('search.name'))}</th><th scope="col">${esc(t('search.customerNumber'))}</th><th scope="col"><span class="muted">${esc(t('search.open'))}</span></th></tr></thead><tbody>` +
          model.results
            .map(
              (r) =>
                `<tr><td>${esc(r.name)}</td><td>${esc(r.customerNumber)}</td><td><a href="/people/${esc(r.id)}">${esc(t('search.openPerson', { number: r.customerNumber }))}</a></td></tr>`,
            )
            .join('') +
          `</tbody></table>`) +
      `</section>`;
  }
  return page(ctx, 'search.title', `${problem}${contact}${identity}${results}`);
}
