import { KieltoClient } from '../http';
import { EXIT } from '../report';

export interface RequestsOptions {
  overdue?: boolean;
  json?: boolean;
}

/** A request as GET /v1/requests answers it (the fields the table shows). */
export interface DeskRow {
  id: string;
  type: string;
  status: string;
  channel: string;
  receivedAt: string;
  dueAt: string;
  subject: { customerId?: string; email?: string; phone?: string };
  extension?: unknown;
}

/** The subject as the table shows it: a customer id, or only which kind of identifier (never its value). */
const subjectOf = (row: DeskRow) =>
  row.subject.customerId ? `customer ${row.subject.customerId}` : row.subject.email ? 'e-mail' : 'phone';

/** One line per request, oldest deadline first: the desk's work list. */
export function formatRequests(rows: DeskRow[], now = Date.now()): string {
  if (rows.length === 0) return 'no requests\n';
  return rows
    .map((r) => {
      const days = Math.ceil((Date.parse(r.dueAt) - now) / 86_400_000);
      const due = days < 0 ? `${-days} d overdue` : `due in ${days} d`;
      const extended = r.extension ? ' (extended)' : '';
      return `${r.id}  ${r.status.padEnd(7)}  ${r.type.padEnd(13)}  ${r.dueAt.slice(0, 10)}  ${due}${extended}  ${subjectOf(r)}\n`;
    })
    .join('');
}

/**
 * `kielto requests [--overdue]`: the open data-subject requests (GDPR Art 12(3)), or only those past their deadline.
 * Exit 1 when any listed request is overdue, so a scheduled `kielto requests --overdue` can alert.
 */
export async function requestsCommand(client: KieltoClient, options: RequestsOptions): Promise<number> {
  const status = options.overdue ? 'overdue' : 'open';
  const rows = await client.json<DeskRow[]>('customers', `/v1/requests?status=${status}`, { retries: 3 });
  process.stdout.write(options.json ? `${JSON.stringify(rows)}\n` : formatRequests(rows));
  return rows.some((r) => r.status === 'overdue') ? EXIT.failure : EXIT.ok;
}
