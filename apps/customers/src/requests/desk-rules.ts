/*
 * The deadlines of a data-subject request (GDPR Art 12(3)): an answer within one month of receipt, extendable once
 * by up to two further months when the request is complex or requests are many, provided the data subject is told
 * within the first month. Months are calendar months: 31 January + 1 month = 28 (29) February.
 */

export const REQUEST_OUTCOMES = ['fulfilled', 'partially-fulfilled', 'refused', 'withdrawn'] as const;
export type RequestOutcome = (typeof REQUEST_OUTCOMES)[number];
/** Outcomes that say something was done, so the audit records of it must be named. */
export const OUTCOMES_WITH_ACTIONS: ReadonlySet<RequestOutcome> = new Set(['fulfilled', 'partially-fulfilled']);

export const REQUEST_STATUSES = ['open', 'overdue', 'closed'] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

/** Extensions allowed, in months (Art 12(3): "by two further months"). */
export const MAX_EXTENSION_MONTHS = 2;

/** `iso` plus `months` calendar months (UTC), the day clamped to the end of a shorter month. */
export function addCalendarMonths(iso: string, months: number): string {
  const start = new Date(iso);
  const target = new Date(start.getTime());
  target.setUTCDate(1);
  target.setUTCMonth(start.getUTCMonth() + months);
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(start.getUTCDate(), lastDay));
  return target.toISOString();
}

/** The first deadline: one calendar month after receipt. */
export const firstDueAt = (receivedAt: string): string => addCalendarMonths(receivedAt, 1);

/** The extended deadline: counted from receipt, so clamping in a short month does not shorten it. */
export const extendedDueAt = (receivedAt: string, months: number): string => addCalendarMonths(receivedAt, 1 + months);

/** `open` until closed; `overdue` when still open after its deadline. */
export function statusOf(request: { closed?: unknown; dueAt: string }, now = Date.now()): RequestStatus {
  if (request.closed) return 'closed';
  return Date.parse(request.dueAt) < now ? 'overdue' : 'open';
}

/** `status=open` lists every request not closed, overdue ones included; `overdue` only those. */
export const matchesStatus = (status: RequestStatus, wanted: RequestStatus): boolean =>
  wanted === 'open' ? status !== 'closed' : status === wanted;
