import { Role } from '@kielto/contracts';
import type { ConsoleUser } from './session-store';

/** What a page offers a person, by their roles (admin: everything). */
export interface Offers {
  /** Change a record: ledger decisions, directory bans, restriction, erasure (staff). */
  changes: boolean;
  /** Open a data-subject request (staff, dpo). */
  requests: boolean;
  /** Search by personal identity code (dpo). */
  identityCodeSearch: boolean;
  /** A person's audit trail, `GET /v1/audit?subject=` (dpo). */
  audit: boolean;
  /** Customers due for retention, `GET /v1/retention/due` (dpo). */
  retention: boolean;
}

/**
 * Which forms and links to show, so that nobody is offered what they may not do. Only what to show: the services
 * decide (their @Roles, the one access policy), and a form shown anyway gets their 403 in words.
 */
export function offersFor(user: ConsoleUser | undefined): Offers {
  const may = (...roles: Role[]) => user !== undefined && user.roles.some((r) => r === 'admin' || roles.includes(r));
  return {
    changes: may('staff'),
    requests: may('staff', 'dpo'),
    identityCodeSearch: may('dpo'),
    audit: may('dpo'),
    retention: may('dpo'),
  };
}
