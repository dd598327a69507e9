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

/** Records every write made by a staff or admin key, and answers the admin's audit queries. */
@Injectable()
export class AuditTrail {
  private readonly logger = new Logger(AuditTrail.name);

  constructor(
    @InjectModel(AuditRecord.name) private readonly records: Model<AuditRecord>,
    private readonly config: ServiceConfig,
  ) {}

  shouldRecord(method: string, actor: Actor | undefined): actor is Actor {
    return WRITE_METHODS.has(method) && actor !== undefined && (actor.role === 'staff' || actor.role === 'admin');
  }

  async record(entry: {
    actor: Actor;
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
        actor: entry.actor.keyId,
        role: entry.actor.role,
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

  async find(query: AuditQuery): Promise<AuditRecord[]> {
    const filter: Record<string, unknown> = {};
    if (query.actor) filter.actor = query.actor;
    if (query.route) filter.route = query.route;
    if (query.since) filter.at = { $gte: query.since };
    return this.records.find(filter).sort({ at: -1 }).limit(query.limit).lean();
  }
}
