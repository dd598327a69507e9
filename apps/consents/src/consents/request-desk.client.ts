import { HttpStatus, Injectable, Logger } from '@nestjs/common';
import { DSR_HEADER_NAME, PeerTrailAction } from '@kielto/contracts';
import { FieldError, ProblemException } from '@kielto/platform';
import { ConsentsEnv } from '../consents.env';

/** A decision's subject as the request named it (the desk matches a bare identifier in clear, normalised there). */
export type DeskSubject = { customerId: string } | { email: string } | { phone: string };

/** What the trail says of the write. */
export interface DeskWrite {
  action: PeerTrailAction;
  subject: DeskSubject;
  actor: string;
  requestId: string;
}

/** The desk answers in this time or the decision is refused (503): nothing is written on an unchecked link. */
const DESK_TIMEOUT_MS = 10_000;

/**
 * The customers service's request desk, for a decision that names its desk entry (`X-Kielto-Dsr`): the one rule of
 * what may be linked lives there (DeskLinks), so its refusals are passed on as they are. The subject travels in the
 * body, never in a URL (it may be an e-mail address or a phone number).
 */
@Injectable()
export class RequestDeskClient {
  private readonly logger = new Logger(RequestDeskClient.name);

  constructor(private readonly env: ConsentsEnv) {}

  /** Before the write: the request exists, is open and is about this subject, else the desk's problem. */
  async check(dsr: string, write: DeskWrite): Promise<void> {
    await this.post(dsr, write, true);
  }

  /** After the write (done and audited under `write.requestId`): a lost trail entry is logged, never a failed write. */
  async addToTrail(dsr: string, write: DeskWrite): Promise<void> {
    await this.post(dsr, write, false).catch((error: unknown) =>
      this.logger.error({ err: error, dsr, action: write.action }, 'desk trail not written'),
    );
  }

  private async post(dsr: string, write: DeskWrite, dryRun: boolean): Promise<void> {
    let response: Response;
    try {
      response = await fetch(
        `${this.env.CUSTOMERS_URL.replace(/\/+$/, '')}/v1/requests/${encodeURIComponent(dsr)}/trail${dryRun ? '?dryRun=true' : ''}`,
        {
          method: 'POST',
          headers: {
            authorization: `Bearer ${this.env.KIELTO_SERVICE_KEY}`,
            accept: 'application/json',
            'content-type': 'application/json',
          },
          body: JSON.stringify({
            ...write.subject,
            action: write.action,
            actor: write.actor,
            requestId: write.requestId,
          }),
          signal: AbortSignal.timeout(DESK_TIMEOUT_MS),
        },
      );
    } catch (error) {
      this.logger.warn({ err: (error as Error).name }, 'request desk unreachable');
      throw deskUnavailable();
    }
    if (response.ok) {
      await response.body?.cancel();
      return;
    }
    const problem = (await response.json().catch(() => ({}))) as {
      type?: string;
      detail?: string;
      errors?: FieldError[];
    };
    // The desk's refusal of the link (400 malformed, 404/422 unknown or another subject's, 409 closed) is the caller's.
    if ([400, 404, 409, 422].includes(response.status) && problem.errors?.some((e) => e.field === DSR_FIELD))
      throw new ProblemException(
        response.status,
        problem.type?.split('/').at(-1) ?? 'validation',
        problem.detail ?? `Invalid request: ${DSR_FIELD}`,
        problem.errors.filter((e) => e.field === DSR_FIELD),
      );
    this.logger.warn({ status: response.status }, 'request desk failed');
    throw deskUnavailable();
  }
}

const DSR_FIELD = DSR_HEADER_NAME;

function deskUnavailable(): ProblemException {
  return new ProblemException(
    HttpStatus.SERVICE_UNAVAILABLE,
    'request-desk-unavailable',
    `The request desk (customers) did not answer, so the ${DSR_FIELD} link could not be checked; nothing was written. Try again shortly`,
    undefined,
    { 'retry-after': '5' },
  );
}
