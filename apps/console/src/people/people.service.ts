import { Injectable } from '@nestjs/common';
import { CHANNELS, PURPOSES } from '@kielto/contracts';
import { MessageKey, Translate, wordFor } from '../i18n/messages';
import { KieltoClient, ServiceAnswer } from '../kielto/kielto-client';
import { ConsoleUser } from '../session/session-store';
import { offersFor } from '../session/offers';
import { AuditRow, DeskRequest } from '../views/dpo.views';
import { Cell, PersonModel, TimelineItem } from '../views/person.view';

/** What customers' `GET /v1/customers/:id` answers that the page uses: the summary and its histories. */
type CustomerSummary = PersonModel['customer'];
export interface Customer extends CustomerSummary {
  restrictionHistory?: { at: string; action: string; actor: string; reason?: string }[];
  rectifications?: { at: string; actor: string; fields: string[] }[];
  legalHoldHistory?: { at: string; action: string; actor: string; reason?: string }[];
}
interface LedgerEntry {
  channel: string;
  purpose: string;
  decision: string;
  recordedAt: string;
  source: string;
  evidence: { capturedBy?: string; reference?: string; noticeVersion?: string; agent?: string };
}
interface BanHistory {
  current: { scope: string; hiddenFields: string[]; outlets: string[] } | null;
  history: { change: string; at: string; by?: string; reason?: string; scope?: string }[];
}
interface SuppressionEntry {
  reason: string;
  channel: string;
  since: string;
}

/** Why part of a page is missing, in the reader's words. */
export function unavailable(t: Translate, answer: ServiceAnswer): string {
  if (answer.status === 401 || answer.status === 403) return t('forbidden.action');
  if (answer.status === 503) return t('error.unreachable');
  return t('error.generic', { detail: answer.problem?.detail ?? String(answer.status) });
}

const newestFirst = (a: { at: string }, b: { at: string }) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0);

/** A person's page gathered from the four services, as the signed-in person may see it. */
@Injectable()
export class PeopleService {
  constructor(private readonly kielto: KieltoClient) {}

  customer(user: ConsoleUser, id: string): Promise<ServiceAnswer<Customer>> {
    return this.kielto.call<Customer>(user.credential, 'customers', 'GET', `/v1/customers/${id}`);
  }

  async person(user: ConsoleUser, customer: Customer, t: Translate): Promise<PersonModel> {
    const id = customer.id;
    const cred = user.credential;
    const cells = CHANNELS.flatMap((channel) => PURPOSES.map((purpose) => ({ channel, purpose })));
    const [checks, ledger, bans, entries, requests, reads] = await Promise.all([
      Promise.all(
        cells.map(({ channel, purpose }) =>
          this.kielto.call<{ decision: 'allow' | 'suppress'; reasons: { code: string }[] }>(
            cred,
            'suppression',
            'GET',
            '/v1/suppression/check',
            { query: { channel, purpose, customerId: id } },
          ),
        ),
      ),
      this.kielto.call<{ history: LedgerEntry[] }>(cred, 'consents', 'GET', '/v1/consents', {
        query: { customerId: id },
      }),
      this.kielto.call<BanHistory>(cred, 'directory-bans', 'GET', `/v1/directory-bans/${id}/history`),
      this.kielto.call<SuppressionEntry[]>(cred, 'suppression', 'GET', '/v1/suppression/entries', {
        query: { customerId: id },
      }),
      this.kielto.call<DeskRequest[]>(cred, 'customers', 'GET', '/v1/requests'),
      // Who read the record, for those who may see the audit trail (dpo, admin); the trail's own page has them all.
      offersFor(user).audit ? this.audit(user, id, t) : Promise.resolve(undefined),
    ]);
    const gaps: string[] = [];
    const matrix = new Map<string, Cell>();
    checks.forEach((answer, i) => {
      if (answer.ok) {
        matrix.set(`${cells[i].channel}|${cells[i].purpose}`, {
          decision: answer.body.decision,
          reasons: answer.body.reasons.map((r) => r.code),
        });
      }
    });
    const failedCheck = checks.find((a) => !a.ok);
    if (failedCheck) gaps.push(unavailable(t, failedCheck));

    const timeline: TimelineItem[] = [];
    for (const r of customer.restrictionHistory ?? []) {
      const action = t(r.action === 'restricted' ? 'timeline.restricted' : 'timeline.liftedRestriction');
      timeline.push({ at: r.at, what: t('timeline.restriction', { action }), who: r.actor, details: r.reason ?? '' });
    }
    for (const r of customer.rectifications ?? []) {
      const what = t('timeline.rectified', { fields: r.fields.join(', ') });
      timeline.push({ at: r.at, what, who: r.actor, details: '' });
    }
    for (const h of customer.legalHoldHistory ?? []) {
      const action = t(h.action === 'placed' ? 'timeline.placed' : 'timeline.released');
      timeline.push({ at: h.at, what: t('timeline.hold', { action }), who: h.actor, details: h.reason ?? '' });
    }
    if (ledger.ok) {
      for (const e of ledger.body.history) {
        const details = [
          t('timeline.evidence', { source: wordFor(t, 'actions.sources', e.source) }),
          e.evidence.reference ? t('timeline.reference', { reference: e.evidence.reference }) : '',
          e.evidence.noticeVersion ? t('timeline.notice', { version: e.evidence.noticeVersion }) : '',
        ].filter(Boolean);
        timeline.push({
          at: e.recordedAt,
          what: t('timeline.consent', {
            decision: wordFor(t, 'decisions', e.decision),
            channel: wordFor(t, 'channels', e.channel),
            purpose: wordFor(t, 'purposes', e.purpose),
          }),
          who: [e.evidence.capturedBy, e.evidence.agent].filter(Boolean).join(' / '),
          details: details.join('; '),
        });
      }
    } else gaps.push(unavailable(t, ledger));
    let ban: PersonModel['ban'];
    if (bans.ok) {
      ban = bans.body.current;
      for (const c of bans.body.history) {
        const change = t(c.change === 'set' ? 'timeline.banSet' : 'timeline.banLifted');
        const scope = c.scope ? wordFor(t, 'actions.scopes', c.scope) : '';
        const details = [scope, c.reason].filter(Boolean).join('; ');
        timeline.push({ at: c.at, what: t('timeline.ban', { change }), who: c.by ?? '', details });
      }
    } else if (bans.status === 404) ban = null;
    else gaps.push(unavailable(t, bans));
    if (entries.ok) {
      for (const e of entries.body) {
        const what = t('timeline.entry', {
          reason: wordFor(t, 'reasons', e.reason),
          channel: wordFor(t, 'channels', e.channel),
        });
        timeline.push({ at: e.since, what, who: '', details: '' });
      }
    } else gaps.push(unavailable(t, entries));
    if (requests.ok) {
      for (const r of requests.body.filter((q) => q.subject.customerId === id)) {
        const what = t('timeline.request', {
          type: wordFor(t, 'actions.requestTypes', r.type),
          due: r.dueAt.slice(0, 10),
        });
        timeline.push({ at: r.receivedAt, what, who: '', details: wordFor(t, 'actions.requestChannels', r.channel) });
      }
    }
    for (const r of reads?.rows ?? []) {
      const what = t('timeline.read', { service: r.service, action: `${r.method} ${r.route}` });
      timeline.push({ at: r.at, what, who: r.actorName ? `${r.actorName} (${r.actor})` : r.actor, details: '' });
    }
    gaps.push(...(reads?.gaps ?? []));
    timeline.sort(newestFirst);
    return { customer, matrix, gaps: [...new Set(gaps)], ban, timeline };
  }

  /**
   * Who read the person's data, newest first: customers' `GET /v1/audit?subject=` gathers the four services' trails
   * itself (and the lookups of the person's own e-mail addresses and phone numbers while they held them), all or
   * nothing. Asking each service besides would list every read twice and miss those lookups.
   */
  async audit(user: ConsoleUser, id: string, t: Translate): Promise<{ rows: AuditRow[]; gaps: string[] }> {
    const answer = await this.kielto.call<AuditRow[]>(user.credential, 'customers', 'GET', '/v1/audit', {
      query: { subject: id, limit: '200' },
    });
    return answer.ok ? { rows: answer.body, gaps: [] } : { rows: [], gaps: [unavailable(t, answer)] };
  }
}

/** Words for an erasure the law refuses (409), from the problem type and the customer's legal hold. */
export function erasureRefusal(
  t: Translate,
  type: string,
  hold?: Customer['legalHold'],
): { key: MessageKey; params: Record<string, string> } {
  let why: string;
  if (type === 'active-contract') why = t('actions.activeContract');
  else if (type === 'legal-hold' && hold) {
    const since = hold.since.slice(0, 10);
    why = hold.until
      ? t('actions.legalHoldUntil', { since, until: hold.until.slice(0, 10), reason: hold.reason })
      : t('actions.legalHoldReason', { since, reason: hold.reason });
  } else why = t('actions.otherConflict');
  return { key: 'actions.erasureRefused', params: { why } };
}
