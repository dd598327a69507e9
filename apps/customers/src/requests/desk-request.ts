import type { RequestChannel, RequestType } from '@kielto/contracts';
import type { RequestOutcome } from './desk-rules';

/** Whom a request is about: a customer, or a bare e-mail address or phone number (normalised). */
export interface RequestSubject {
  customerId?: string;
  email?: string;
  phone?: string;
}

/** A data-subject request on the desk (GDPR Art 12(3)), as stored and as the API shows it (plus `status`). */
export interface DeskRequest {
  id: string;
  /** 1 when received, +1 for the extension and for the closing: at most 3. */
  version: number;
  type: RequestType;
  subject: RequestSubject;
  receivedAt: string;
  channel: RequestChannel;
  /** How the requester's identity was verified (Art 12(6)), e.g. `strong-electronic-id`. */
  identityVerifiedBy?: string;
  dueAt: string;
  extension?: { at: string; by: string; months: number; reason: string; previousDueAt: string };
  closed?: { at: string; by: string; outcome: RequestOutcome; auditIds: string[] };
  createdAt: string;
  createdBy: string;
}

/** What was done for a request through the API (`X-Kielto-Dsr`), in order. */
export interface TrailEntry {
  at: string;
  /** What the write was: `rectification`, `erasure`, `restriction`, `restriction-lifted`. */
  action: string;
  /** The customer written (the customer routes). */
  customerId?: string;
  /** The bare identifier written (`DELETE /v1/subjects`): `email:<keyed hash>` or `phone:<keyed hash>`, never clear. */
  subject?: string;
  actor: string;
  /** The id of the HTTP request: its audit record (GET /v1/audit) carries the same `requestId`. */
  requestId: string;
}

/** Versions a request can have: received, extended, closed. */
export const MAX_REQUEST_VERSIONS = 3;
