import type { CampaignClearance as Clearance } from '@kielto/contracts';
import { translator, wordFor } from '../i18n/messages';
import { esc, formatDate, formatDay, page, PageContext } from './layout';

const DAY_MS = 86_400_000;

export interface DeskRequest {
  id: string;
  type: string;
  channel: string;
  receivedAt: string;
  dueAt: string;
  subject: { customerId?: string; email?: string; phone?: string };
}

/** Whole days from `now` to the deadline, counted in Helsinki calendar days (negative: overdue). */
export function daysLeft(dueAt: string, now: Date): number {
  const day = (d: Date) => {
    const [y, m, dd] = d.toLocaleDateString('en-CA', { timeZone: 'Europe/Helsinki' }).split('-').map(Number);
    return Date.UTC(y, m - 1, dd);
  };
  return Math.round((day(new Date(dueAt)) - day(now)) / DAY_MS);
}

export function renderRequests(
  ctx: PageContext,
  model: { status: 'open' | 'overdue'; requests?: DeskRequest[]; unavailable?: string; now: Date },
): string {
  const t = translator(ctx.lang);
  const tabs =
    `<nav aria-label="${esc(t('requests.filter'))}"><ul>` +
    (['open', 'overdue'] as const)
      .map((s) =>
        s === model.status
          ? `<li><span aria-current="page">${esc(t(`requests.${s}`))}</span></li>`
          : `<li><a href="/requests?status=${s}">${esc(t(`requests.${s}`))}</a></li>`,
      )
      .join('') +
    `</ul></nav>`;
  if (model.unavailable) return page(ctx, 'requests.title', `${tabs}<p class="alert">${esc(model.unavailable)}</p>`);
  const rows = model.requests ?? [];
  const left = (dueAt: string) => {
    const days = daysLeft(dueAt, model.now);
    if (days > 0) return `<span>${esc(t('requests.left', { days }))}</span>`;
    if (days === 0) return `<span class="suppress">${esc(t('requests.today'))}</span>`;
    return `<span class="suppress">${esc(t('requests.late', { days: -days }))}</span>`;
  };
  const table =
    rows.length === 0
      ? `<p>${esc(t('requests.none'))}</p>`
      : `<table id="requests"><caption>${esc(t('requests.caption'))}</caption><thead><tr>` +
        `<th scope="col">${esc(t('requests.type'))}</th><th scope="col">${esc(t('requests.received'))}</th><th scope="col">${esc(t('requests.due'))}</th>` +
        `<th scope="col">${esc(t('requests.daysLeft'))}</th><th scope="col">${esc(t('requests.subject'))}</th></tr></thead><tbody>` +
        rows
          .map(
            (r) =>
              `<tr data-request="${esc(r.id)}"><td>${esc(wordFor(t, 'actions.requestTypes', r.type))} (${esc(wordFor(t, 'actions.requestChannels', r.channel))})</td>` +
              `<td>${esc(formatDay(r.receivedAt, ctx.lang))}</td><td>${esc(formatDay(r.dueAt, ctx.lang))}</td><td>${left(r.dueAt)}</td>` +
              `<td>${r.subject.customerId ? `<a href="/people/${esc(r.subject.customerId)}">${esc(t('requests.customer'))}</a>` : esc(t('requests.contact'))}</td></tr>`,
          )
          .join('') +
        `</tbody></table>`;
  return page(ctx, 'requests.title', tabs + table);
}

export interface RetentionDue {
  retentionDays: number;
  due: { id: string; customerNumber: string; relationshipEndedAt: string }[];
  held: number;
}

export function renderRetention(ctx: PageContext, model: { due?: RetentionDue; unavailable?: string }): string {
  const t = translator(ctx.lang);
  if (!model.due) return page(ctx, 'retention.title', `<p class="alert">${esc(model.unavailable ?? '')}</p>`);
  const { due, held, retentionDays } = model.due;
  const body =
    `<p>${esc(t('retention.intro', { days: retentionDays }))}</p>` +
    `<p>${esc(t('retention.held', { count: held }))}</p>` +
    (due.length === 0
      ? `<p>${esc(t('retention.none'))}</p>`
      : `<table id="retention"><thead><tr><th scope="col">${esc(t('person.customerNumber'))}</th><th scope="col">${esc(t('retention.ended'))}</th></tr></thead><tbody>` +
        due
          .map(
            (d) =>
              `<tr><td><a href="/people/${esc(d.id)}">${esc(d.customerNumber)}</a></td><td>${esc(formatDay(d.relationshipEndedAt, ctx.lang))}</td></tr>`,
          )
          .join('') +
        `</tbody></table>`);
  return page(ctx, 'retention.title', body);
}

export interface AuditRow {
  at: string;
  service: string;
  actor: string;
  actorName?: string;
  role: string;
  method: string;
  route: string;
}

export function renderAudit(ctx: PageContext, model: { customerId: string; rows: AuditRow[]; gaps: string[] }): string {
  const t = translator(ctx.lang);
  const gaps = model.gaps.map((g) => `<p class="alert">${esc(t('person.unavailable', { why: g }))}</p>`).join('');
  const table =
    model.rows.length === 0
      ? `<p>${esc(t('audit.none'))}</p>`
      : `<table id="audit"><caption>${esc(t('audit.caption'))}</caption><thead><tr><th scope="col">${esc(t('person.when'))}</th>` +
        `<th scope="col">${esc(t('person.who'))}</th><th scope="col">${esc(t('audit.role'))}</th><th scope="col">${esc(t('audit.service'))}</th><th scope="col">${esc(t('audit.action'))}</th></tr></thead><tbody>` +
        model.rows
          .map(
            (r) =>
              `<tr><td>${esc(formatDate(r.at, ctx.lang))}</td><td>${esc(r.actorName ? `${r.actorName} (${r.actor})` : r.actor)}</td>` +
              `<td>${esc(wordFor(t, 'roles', r.role))}</td><td>${esc(r.service)}</td><td>${esc(`${r.method} ${r.route}`)}</td></tr>`,
          )
          .join('') +
        `</tbody></table>`;
  return page(
    ctx,
    'audit.title',
    `<p><a href="/people/${esc(model.customerId)}">${esc(t('audit.back'))}</a></p>${gaps}${table}`,
  );
}

/**
 * A campaign's clearances (what the API offers: the list of one campaign, newest first). The campaign id travels in
 * the URL of a GET form: it names a campaign, never a person.
 */
export function renderClearances(
  ctx: PageContext,
  model: { campaign?: string; clearances?: Clearance[]; problem?: string },
): string {
  const t = translator(ctx.lang);
  const form =
    `<p>${esc(t('clearances.intro'))}</p>` +
    `<form method="get" action="/clearances"><label for="campaign">${esc(t('clearances.campaign'))}</label>` +
    `<input type="text" id="campaign" name="campaign" required value="${esc(model.campaign ?? '')}"${model.problem ? ' aria-describedby="campaign-problem" aria-invalid="true"' : ''}>` +
    `<br><button type="submit">${esc(t('clearances.show'))}</button></form>`;
  if (model.problem)
    return page(ctx, 'clearances.title', `${form}<p class="alert" id="campaign-problem">${esc(model.problem)}</p>`);
  if (model.clearances === undefined) return page(ctx, 'clearances.title', form);
  const head = ['at', 'actor', 'use', 'product', 'total', 'allowed', 'suppressed', 'asOf', 'input'] as const;
  const table =
    model.clearances.length === 0
      ? `<p>${esc(t('clearances.none'))}</p>`
      : `<table id="clearances"><caption>${esc(t('clearances.caption', { campaign: model.campaign ?? '' }))}</caption><thead><tr>` +
        head.map((h) => `<th scope="col">${esc(t(`clearances.${h}`))}</th>`).join('') +
        `</tr></thead><tbody>` +
        model.clearances
          .map(
            (c) =>
              `<tr data-clearance="${esc(c.id)}"><td>${esc(formatDate(c.at, ctx.lang))}</td><td>${esc(c.actor)}</td>` +
              `<td>${esc(`${wordFor(t, 'channels', c.channel)}, ${wordFor(t, 'purposes', c.purpose)}`)}</td>` +
              `<td>${esc(c.product ? wordFor(t, 'products', c.product) : '')}</td>` +
              `<td>${c.total}</td><td class="allow">${c.allowed}</td><td class="suppress">${c.suppressed}</td>` +
              `<td>${esc(formatDate(c.asOf, ctx.lang))}</td><td><code>${esc(c.inputSha256.slice(0, 16))}…</code></td></tr>`,
          )
          .join('') +
        `</tbody></table>`;
  return page(ctx, 'clearances.title', form + table);
}
