import { DirectoryBanScope, DirectoryField, DirectoryOutlet } from '@kielto/contracts';

/** A customer's current publication ban. */
export interface DirectoryBan {
  customerId: string;
  scope: DirectoryBanScope;
  /** Fields withheld by a partial ban (empty for a full ban, which withholds the whole listing). */
  hiddenFields: DirectoryField[];
  /** Outlets the ban applies to; empty = every outlet. */
  outlets: DirectoryOutlet[];
  reason?: string;
  /** API key id of who set this version of the ban. */
  setBy?: string;
  /** When this version of the ban took effect. */
  since: string;
  /** Position of this version in the customer's ban history. */
  sequence: number;
}

/** One entry of a customer's ban history (the event log of the aggregate). */
export interface DirectoryBanChange {
  sequence: number;
  change: 'set' | 'lifted';
  at: string;
  /** API key id of who made the change. */
  by?: string;
  reason?: string;
  scope?: DirectoryBanScope;
  hiddenFields?: DirectoryField[];
  outlets?: DirectoryOutlet[];
}

export interface DirectoryBanWithHistory extends DirectoryBan {
  history: DirectoryBanChange[];
}

export interface DirectoryBanHistory {
  customerId: string;
  /** The ban in force, or null when it was lifted. */
  current: DirectoryBan | null;
  history: DirectoryBanChange[];
}

export interface DirectoryBanPage {
  items: DirectoryBan[];
  /** Pass as `after` to get the next page; null on the last page. */
  next: string | null;
}
