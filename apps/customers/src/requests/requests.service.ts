import { HttpStatus, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { normaliseEmail, normalisePhone } from '@kielto/contracts';
import { Actor, fieldProblem, gauge, ProblemException, ServiceConfig, subjectFieldOf } from '@kielto/platform';
import { CustomersService } from '../customers/customers.service';
import { DeskRequest, RequestSubject, TrailEntry } from './desk-request';
import { extendedDueAt, firstDueAt, matchesStatus, OUTCOMES_WITH_ACTIONS, RequestStatus, statusOf } from './desk-rules';
import { DeskRepository } from './desk.repository';
import { DeskLinks } from './dsr-link';
import { LinkTrailDto } from './dto/link-trail.dto';
import { CreateRequestDto } from './dto/create-request.dto';
import { ACTION_FIELDS, UpdateRequestDto } from './dto/update-request.dto';

export type RequestView = DeskRequest & { status: RequestStatus };
/** A write of another service linked to a desk entry: the trail entry, unless it was only checked. */
export interface PeerLink {
  id: string;
  entry?: TrailEntry;
}

/** Clocks differ: a receipt this far ahead of ours is still taken as now, not as the future. */
const CLOCK_SKEW_MS = 5 * 60_000;
/** The overdue gauge reads the desk at most this often, however often it is scraped. */
const OVERDUE_REFRESH_MS = 30_000;

const live = new Set<RequestsService>();
const overdueGauge = gauge(
  'kielto_requests_overdue',
  'Data-subject requests still open after their deadline (GDPR Art 12(3))',
  ['service'],
  async () => {
    overdueGauge.reset();
    for (const desk of live) overdueGauge.set({ service: desk.serviceName }, await desk.overdueCount());
  },
);

/** The data-subject request desk (GDPR Art 12(3)): what was asked, by when it must be answered, what was done. */
@Injectable()
export class RequestsService implements OnModuleInit, OnModuleDestroy {
  private overdue?: { count: number; at: number };

  constructor(
    private readonly desk: DeskRepository,
    private readonly links: DeskLinks,
    private readonly customers: CustomersService,
    private readonly config: ServiceConfig,
  ) {}

  get serviceName(): string {
    return this.config.service.name;
  }

  onModuleInit(): void {
    live.add(this);
  }

  onModuleDestroy(): void {
    live.delete(this);
  }

  async receive(input: CreateRequestDto, actor: Actor): Promise<RequestView> {
    if (Date.parse(input.receivedAt) > Date.now() + CLOCK_SKEW_MS)
      throw fieldProblem('receivedAt', 'receivedAt must not be in the future');
    const subject = await this.subjectOf(input);
    const receivedAt = new Date(input.receivedAt).toISOString();
    const request: DeskRequest = {
      id: randomUUID(),
      version: 1,
      type: input.type,
      subject,
      receivedAt,
      channel: input.channel,
      ...(input.identityVerifiedBy ? { identityVerifiedBy: input.identityVerifiedBy } : {}),
      dueAt: firstDueAt(receivedAt),
      createdAt: new Date().toISOString(),
      createdBy: actor.keyId,
    };
    await this.desk.insertVersion(request);
    this.overdue = undefined;
    return view(request);
  }

  async change(id: string, input: UpdateRequestDto, actor: Actor): Promise<RequestView> {
    const stray = Object.entries(ACTION_FIELDS)
      .filter(([action]) => action !== input.action)
      .flatMap(([, fields]) => fields.filter((field) => input[field] !== undefined));
    if (stray.length > 0) throw fieldProblem(stray[0], `${stray[0]} does not apply to ${input.action}`);
    const current = await this.load(id);
    if (current.closed)
      throw new ProblemException(HttpStatus.CONFLICT, 'request-closed', 'The request is closed already');
    const now = new Date().toISOString();
    const next: DeskRequest = { ...current, version: current.version + 1 };
    if (input.action === 'extend') {
      if (current.extension)
        throw new ProblemException(HttpStatus.CONFLICT, 'already-extended', 'The deadline can be extended once only');
      // Art 12(3): the data subject must be told of the extension within the first month.
      if (Date.parse(current.dueAt) < Date.parse(now))
        throw new ProblemException(
          HttpStatus.CONFLICT,
          'extension-too-late',
          'The deadline has passed: an extension must be decided (and told) within the first month',
        );
      const months = input.months!;
      next.extension = { at: now, by: actor.keyId, months, reason: input.reason!, previousDueAt: current.dueAt };
      next.dueAt = extendedDueAt(current.receivedAt, months);
    } else {
      const auditIds = [...new Set(input.auditIds!.map((a) => a.toLowerCase()))];
      if (OUTCOMES_WITH_ACTIONS.has(input.outcome!) && auditIds.length === 0)
        throw fieldProblem('auditIds', `a ${input.outcome} request names the audit records of what was done`);
      next.closed = { at: now, by: actor.keyId, outcome: input.outcome!, auditIds };
    }
    if (!(await this.desk.insertVersion(next)))
      throw new ProblemException(
        HttpStatus.CONFLICT,
        'concurrent-modification',
        'The request was changed by another call; read it again',
      );
    this.overdue = undefined;
    return view(next);
  }

  /** Another service's write for the request `id`: checked (dry run, before it) or added to the trail (after it). */
  async linkPeerWrite(id: string, write: LinkTrailDto, dryRun: boolean): Promise<PeerLink> {
    subjectFieldOf(write);
    const target = this.links.targetOf(write);
    const linked = await this.links.linkable(id, target);
    if (dryRun) return { id: linked };
    const { action, actor, requestId } = write;
    return { id: linked, entry: await this.links.addToTrail(linked, { action, target, actor, requestId }) };
  }

  async get(id: string): Promise<RequestView & { trail: TrailEntry[] }> {
    const request = await this.load(id);
    return { ...view(request), trail: await this.desk.trail(request.id) };
  }

  /** Oldest deadline first. */
  async list(filter: { status?: RequestStatus; dueBefore?: string }): Promise<RequestView[]> {
    const now = Date.now();
    const dueBefore = filter.dueBefore === undefined ? Infinity : Date.parse(filter.dueBefore);
    return (await this.desk.all())
      .map((request) => view(request, now))
      .filter(
        (r) =>
          (filter.status === undefined || matchesStatus(r.status, filter.status)) && Date.parse(r.dueAt) < dueBefore,
      )
      .sort((a, b) => a.dueAt.localeCompare(b.dueAt) || a.id.localeCompare(b.id));
  }

  async overdueCount(): Promise<number> {
    if (this.overdue && Date.now() - this.overdue.at < OVERDUE_REFRESH_MS) return this.overdue.count;
    const count = (await this.list({ status: 'overdue' })).length;
    this.overdue = { count, at: Date.now() };
    return count;
  }

  private async load(id: string): Promise<DeskRequest> {
    const request = /^[0-9a-f-]{36}$/i.test(id) ? await this.desk.load(id.toLowerCase()) : undefined;
    if (!request) throw new ProblemException(HttpStatus.NOT_FOUND, 'not-found', 'No request with this id');
    return request;
  }

  /** The subject, normalised; a customer must exist (422 naming customerId otherwise). */
  private async subjectOf(input: CreateRequestDto): Promise<RequestSubject> {
    switch (subjectFieldOf(input)) {
      case 'customerId': {
        const customerId = input.customerId!.toLowerCase();
        await this.customers.get(customerId).catch((error: unknown) => {
          if (error instanceof ProblemException && error.getStatus() === 404)
            throw fieldProblem('customerId', 'no customer with this id', HttpStatus.UNPROCESSABLE_ENTITY);
          throw error;
        });
        return { customerId };
      }
      case 'email':
        return { email: normaliseEmail(input.email!)! };
      case 'phone':
        return { phone: normalisePhone(input.phone!)! };
    }
  }
}

const view = (request: DeskRequest, now = Date.now()): RequestView => ({ ...request, status: statusOf(request, now) });
