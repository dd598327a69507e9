import { Injectable, Logger } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { randomUUID } from 'node:crypto';
import { Model } from 'mongoose';
import { Actor } from '../auth/api-keys';
import { ServiceConfig } from '../config/service-config';
import { AuditRecord } from './audit-record.schema';

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const ID_PARAM = /^[A-Za-z0-9_.:-]{1,128}$/;

export interface AuditQuery {
  actor?: string;
  route?: string;
  since?: Date;
  limit: number;
}

/**
 * Records every write (whoever makes it), every denied call (401/403, with or without a key) and every read of a
 * route marked @AuditReads (clear identity codes), and answers the admin's audit queries.
 */
@Injectable()
export class AuditTrail {
  private readonly logger = new Logger(AuditTrail.name);

  constructor(
    @InjectModel(AuditRecord.name) private readonly records: Model<AuditRecord>,
    private readonly config: ServiceConfig,
  ) {}

  /**
   * The one rule of what is audited. A denied call is recorded whoever made it, so probing leaves a trace; its
   * volume is bounded by the rate limit on failed authentication per client address.
   */
  shouldRecord(method: string, actor: Actor | undefined, status: number, auditedRead = false): boolean {
    if (status === 401 || status === 403) return true;
    if (actor === undefined) return false;
    return WRITE_METHODS.has(method) || auditedRead;
  }

  async record(entry: {
    actor: Actor | undefined;
    method: string;
    route: string;
    params: Record<string, string>;
    status: number;
    requestId: string;
  }): Promise<void> {
    const target = Object.fromEntries(
      Object.entries(entry.params).filter(([, v]) => ID_PARAM.test(v) && !v.includes('@')),
    );
    try {
      await this.records.create({
        _id: randomUUID(),
        at: new Date(),
        actor: entry.actor?.keyId ?? 'anonymous',
        role: entry.actor?.role ?? 'none',
        service: this.config.service.name,
        method: entry.method,
        route: entry.route,
        target,
        status: entry.status,
        outcome: entry.status < 400 ? 'success' : entry.status < 500 ? 'rejected' : 'failed',
        requestId: entry.requestId,
      });
    } catch (error) {
      // The response is already sent; the failure is loud in the logs and in the metric below.
      this.logger.error({ err: error, route: entry.route }, 'audit record could not be written');
    }
  }

  /**
   * A write the service made on its own (a scheduled job), recorded as a call would be: `actor` names the job
   * (`system:retention`), the role is `system`. Returns the record's id.
   */
  async recordSystem(entry: {
    actor: string;
    method: string;
    route: string;
    target: Record<string, string>;
    status: number;
    requestId: string;
  }): Promise<string> {
    const _id = randomUUID();
    await this.records.create({
      _id,
      at: new Date(),
      role: 'system',
      service: this.config.service.name,
      outcome: entry.status < 400 ? 'success' : 'failed',
      ...entry,
    });
    return _id;
  }

  async find(query: AuditQuery): Promise<AuditRecord[]> {
    const filter: Record<string, unknown> = {};
    if (query.actor) filter.actor = query.actor;
    if (query.route) filter.route = query.route;
    if (query.since) filter.at = { $gte: query.since };
    return this.records.find(filter).sort({ at: -1 }).limit(query.limit).lean();
  }
}
