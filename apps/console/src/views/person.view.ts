import {
  CHANNELS,
  DIRECTORY_BAN_SCOPES,
  DIRECTORY_FIELDS,
  DIRECTORY_OUTLETS,
  LEDGER_CHANNELS,
  LEDGER_PURPOSES,
  PURPOSES,
  CONSENT_DECISIONS,
  REQUEST_CHANNELS,
  REQUEST_TYPES,
} from '@kielto/contracts';
import { en } from '../i18n/en';
import { translator, wordFor } from '../i18n/messages';
import { offersFor } from '../session/offers';
import { checkboxes, confirmBox, esc, formatDate, page, PageContext, postForm, select } from './layout';

export const CONSENT_SOURCES = Object.keys(en.actions.sources);

export interface Cell {
  decision: 'allow' | 'suppress';
  reasons: string[];
}

export interface TimelineItem {
  at: string;
  /** Already translated. */
  what: string;
  who: string;
  details: string;
}

export interface PersonModel {
  customer: {
    id: string;
    name: string;
    customerNumber: string;
    kind: string;
    activeContract: boolean;
    restricted: boolean;
    legalHold?: { since: string; reason: string; until?: string };
  };
  /** `channel|purpose` → the decision; absent when suppression could not answer. */
  matrix: Map<string, Cell>;
  /** Why the matrix or parts of the timeline are missing (already translated), if they are. */
  gaps: string[];
  ban?: { scope: string; hiddenFields: string[]; outlets: string[] } | null;
  timeline: TimelineItem[];
}

export function renderPerson(ctx: PageContext, model: PersonModel): string {
  const t = translator(ctx.lang);
  const c = model.customer;
  const offers = offersFor(ctx.user);
  const yesNo = (v: boolean) => esc(v ? t('person.yes') : t('person.no'));
  const hold = c.legalHold
    ? esc(t('person.holdText', { since: formatDate(c.legalHold.since, ctx.lang), reason: c.legalHold.reason }))
    : esc(t('person.none'));
  const summary =
    `<p class="person-name"><strong>${esc(c.name)}</strong></p><dl>` +
    `<dt>${esc(t('person.customerNumber'))}</dt><dd id="customer-number">${esc(c.customerNumber)}</dd>` +
    `<dt>${esc(t('person.kind'))}</dt><dd>${esc(wordFor(t, 'person.kinds', c.kind))}</dd>` +
    `<dt>${esc(t('person.contract'))}</dt><dd>${yesNo(c.activeContract)}</dd>` +
    `<dt>${esc(t('person.restricted'))}</dt><dd id="restricted">${yesNo(c.restricted)}</dd>` +
    `<dt>${esc(t('person.legalHold'))}</dt><dd>${hold}</dd></dl>` +
    (offers.audit ? `<p><a href="/people/${esc(c.id)}/audit">${esc(t('person.auditLink'))}</a></p>` : '');
  const gaps = model.gaps.map((g) => `<p class="alert">${esc(t('person.unavailable', { why: g }))}</p>`).join('');

  const matrix =
    `<h2 id="matrix-heading">${esc(t('person.matrixHeading'))}</h2>` +
    `<table id="matrix" aria-labelledby="matrix-heading"><caption>${esc(t('person.matrixCaption'))}</caption><thead><tr><th scope="col">${esc(t('person.channel'))}</th>` +
    PURPOSES.map((p) => `<th scope="col">${esc(wordFor(t, 'purposes', p))}</th>`).join('') +
    `</tr></thead><tbody>` +
    CHANNELS.map(
      (channel) =>
        `<tr><th scope="row">${esc(wordFor(t, 'channels', channel))}</th>` +
        PURPOSES.map((purpose) => {
          const cell = model.matrix.get(`${channel}|${purpose}`);
          if (!cell)
            return `<td data-channel="${channel}" data-purpose="${purpose}" data-decision="unknown">${esc(t('person.unknown'))}</td>`;
          const reasons = cell.reasons.map((r) => esc(wordFor(t, 'reasons', r))).join(', ');
          return (
            `<td data-channel="${channel}" data-purpose="${purpose}" data-decision="${cell.decision}">` +
            `<span class="${cell.decision}">${esc(t(cell.decision === 'allow' ? 'person.allow' : 'person.suppress'))}</span>` +
            (reasons ? `<br><span class="muted">${reasons}</span>` : '') +
            `</td>`
          );
        }).join('') +
        `</tr>`,
    ).join('') +
    `</tbody></table>`;

  const timeline =
    `<h2 id="timeline-heading">${esc(t('person.timelineHeading'))}</h2>` +
    (model.timeline.length === 0
      ? `<p>${esc(t('person.timelineEmpty'))}</p>`
      : `<table id="timeline" aria-labelledby="timeline-heading"><caption>${esc(t('person.timelineCaption'))}</caption><thead><tr>` +
        `<th scope="col">${esc(t('person.when'))}</th><th scope="col">${esc(t('person.what'))}</th><th scope="col">${esc(t('person.who'))}</th><th scope="col">${esc(t('person.details'))}</th></tr></thead><tbody>` +
        model.timeline
          .map(
            (i) =>
              `<tr><td>${esc(formatDate(i.at, ctx.lang))}</td><td>${esc(i.what)}</td><td>${esc(i.who)}</td><td>${esc(i.details)}</td></tr>`,
          )
          .join('') +
        `</tbody></table>`);

  return page(ctx, 'person.title', `${summary}${gaps}${matrix}${actions(ctx, model)}${timeline}`);
}

/** The forms the reader's roles allow: staff change the record, staff and the DPO open requests. */
function actions(ctx: PageContext, model: PersonModel): string {
  const t = translator(ctx.lang);
  const offers = offersFor(ctx.user);
  if (!offers.changes && !offers.requests) return '';
  const base = `/people/${model.customer.id}`;
  const text = (id: string, label: string, required = false, type = 'text') =>
    `<label for="${id}">${esc(label)}</label><input type="${type}" id="${id}" name="${id.replace(/^[a-z]+-/, '')}"${required ? ' required' : ''}>`;
  const record = postForm(
    ctx,
    `${base}/consents`,
    `<fieldset><legend>${esc(t('actions.recordHeading'))}</legend>` +
      select(t, 'channel', t('person.channel'), 'channels', LEDGER_CHANNELS, 'consent-channel') +
      select(t, 'purpose', t('person.purpose'), 'purposes', LEDGER_PURPOSES, 'consent-purpose') +
      select(t, 'decision', t('actions.decision'), 'decisions', CONSENT_DECISIONS, 'consent-decision') +
      select(t, 'source', t('actions.source'), 'actions.sources', CONSENT_SOURCES, 'consent-source') +
      text('consent-reference', t('actions.reference')) +
      text('consent-noticeVersion', t('actions.noticeVersion')) +
      `<p class="muted">${esc(t('actions.noticeHint'))}</p>` +
      confirmBox(t, 'consent-confirm') +
      `<button type="submit">${esc(t('actions.record'))}</button></fieldset>`,
  );
  const ban = model.ban
    ? `<p id="ban-state">${esc(t('actions.banCurrent', { scope: wordFor(t, 'actions.scopes', model.ban.scope) }))}</p>`
    : model.ban === null
      ? `<p id="ban-state">${esc(t('actions.banNone'))}</p>`
      : '';
  const banForms =
    postForm(
      ctx,
      `${base}/ban`,
      `<fieldset><legend>${esc(t('actions.banHeading'))}</legend>${ban}` +
        select(t, 'scope', t('actions.scope'), 'actions.scopes', DIRECTORY_BAN_SCOPES, 'ban-scope') +
        checkboxes(t, 'hiddenFields', t('actions.hiddenFields'), 'actions.fields', DIRECTORY_FIELDS, 'ban-field') +
        checkboxes(t, 'outlets', t('actions.outlets'), 'actions.outletNames', DIRECTORY_OUTLETS, 'ban-outlet') +
        text('ban-reason', t('actions.reason')) +
        confirmBox(t, 'ban-confirm') +
        `<button type="submit">${esc(t('actions.setBan'))}</button></fieldset>`,
    ) +
    (model.ban
      ? postForm(
          ctx,
          `${base}/ban/lift`,
          confirmBox(t, 'unban-confirm') +
            `<button type="submit" class="secondary">${esc(t('actions.liftBan'))}</button>`,
        )
      : '');
  const restriction = postForm(
    ctx,
    `${base}/restriction`,
    `<fieldset><legend>${esc(t('actions.restrictHeading'))}</legend>` +
      text('restrict-reason', t('actions.reason'), !model.customer.restricted) +
      confirmBox(t, 'restrict-confirm') +
      (model.customer.restricted
        ? `<button type="submit" class="secondary" name="action" value="lift">${esc(t('actions.liftRestriction'))}</button>`
        : `<button type="submit" name="action" value="restrict">${esc(t('actions.restrict'))}</button>`) +
      `</fieldset>`,
  );
  const request = postForm(
    ctx,
    `${base}/requests`,
    `<fieldset><legend>${esc(t('actions.requestHeading'))}</legend>` +
      select(t, 'type', t('actions.requestType'), 'actions.requestTypes', REQUEST_TYPES, 'request-type') +
      select(
        t,
        'channel',
        t('actions.requestChannel'),
        'actions.requestChannels',
        REQUEST_CHANNELS,
        'request-channel',
      ) +
      `<label for="request-receivedAt">${esc(t('actions.receivedAt'))}</label><input type="date" id="request-receivedAt" name="receivedAt" required value="${new Date().toISOString().slice(0, 10)}">` +
      text('request-identityVerifiedBy', t('actions.verifiedBy')) +
      confirmBox(t, 'request-confirm') +
      `<button type="submit">${esc(t('actions.openRequest'))}</button></fieldset>`,
  );
  const erase = postForm(
    ctx,
    `${base}/erase`,
    `<fieldset><legend>${esc(t('actions.eraseHeading'))}</legend><p>${esc(t('actions.eraseText'))}</p>` +
      confirmBox(t, 'erase-confirm') +
      `<button type="submit" class="danger">${esc(t('actions.erase'))}</button></fieldset>`,
  );
  const forms = offers.changes ? `${record}<div>${banForms}</div><div>${restriction}${erase}</div>` : '';
  return `<h2 id="actions-heading">${esc(t('actions.heading'))}</h2><div class="grid">${forms}${offers.requests ? request : ''}</div>`;
}
