import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import {
  CloudEventV1,
  CONSENT_EVENT_TYPES,
  ConsentLedgerErasedV1,
  ConsentRecordedV1,
  CUSTOMER_EVENT_TYPES,
  CustomerErasedV1,
  CustomerStateV1,
  DIRECTORY_BAN_EVENT_TYPES,
  DirectoryBanLiftedV1,
  DirectoryBanSetV1,
  subjectKey,
} from '@kielto/contracts';
import { StateWrites, SuppressionRepository } from './suppression.repository';
import { SuppressionState } from './suppression-state';

/**
 * Turns source events into the suppression state: first persisted (idempotent upserts), then applied to
 * the in-memory index, and only then are the Kafka offsets committed (by the transport). A crash at any
 * point replays events that are already applied, which changes nothing.
 */
@Injectable()
export class SuppressionProjector implements OnModuleInit {
  private readonly logger = new Logger(SuppressionProjector.name);
  private loaded = false;

  constructor(
    readonly state: SuppressionState,
    private readonly repository: SuppressionRepository,
  ) {}

  async onModuleInit(): Promise<void> {
    const started = Date.now();
    await this.repository.load(this.state);
    this.loaded = true;
    this.logger.log({ identifiers: this.state.identifierCount, ms: Date.now() - started }, 'suppression state loaded');
  }

  get isLoaded(): boolean {
    return this.loaded;
  }

  /** Applies a batch of events from one topic-partition, in order. Returns the affected identifier hashes. */
  async project(events: CloudEventV1[]): Promise<Set<string>> {
    const writes = new StateWrites();
    const apply: (() => void)[] = [];
    const affected = new Set<string>();
    // Decide against a scratch view of sequences so a batch with several events of one aggregate works.
    for (const event of events) this.plan(event, writes, apply, affected);
    if (!writes.isEmpty) await this.repository.write(writes);
    for (const fn of apply) fn();
    return affected;
  }

  private plan(event: CloudEventV1, w: StateWrites, apply: (() => void)[], affected: Set<string>): void {
    switch (event.type) {
      case CUSTOMER_EVENT_TYPES.created:
      case CUSTOMER_EVENT_TYPES.updated:
      case CUSTOMER_EVENT_TYPES.restricted:
      case CUSTOMER_EVENT_TYPES.restrictionLifted: {
        const d = event.data as CustomerStateV1;
        const record = {
          customerId: d.customerId,
          sequence: event.sequence,
          kind: d.kind,
          since: Date.parse(d.since),
          restrictedSince: d.restrictedSince ? Date.parse(d.restrictedSince) : undefined,
          contactPoints: d.contactPoints.map((cp) => ({ kind: cp.kind, hash: cp.hash, owner: cp.owner })),
        };
        w.customer(record);
        for (const cp of this.state.customers.get(d.customerId)?.contactPoints ?? []) affected.add(cp.hash);
        for (const cp of record.contactPoints) affected.add(cp.hash);
        apply.push(() => this.state.applyCustomer(record));
        return;
      }
      case CUSTOMER_EVENT_TYPES.erased: {
        const d = event.data as CustomerErasedV1;
        const at = Date.parse(d.erasedAt);
        const previous = this.state.customers.get(d.customerId);
        const record = {
          customerId: d.customerId,
          sequence: event.sequence,
          kind: previous?.kind ?? 'person',
          since: previous?.since ?? at,
          erasedAt: at,
          contactPoints: d.contactPoints.map((cp) => ({ kind: cp.kind, hash: cp.hash, owner: cp.owner })),
        };
        w.customer(record);
        for (const cp of record.contactPoints) {
          w.erased(cp.hash, at);
          affected.add(cp.hash);
        }
        apply.push(() => {
          this.state.applyCustomer(record);
          for (const cp of record.contactPoints) this.state.markErased(cp.hash, at);
        });
        return;
      }
      case CONSENT_EVENT_TYPES.recorded: {
        const d = event.data as ConsentRecordedV1;
        const entry = {
          subjectKey: subjectKey(d.subject),
          sequence: d.sequence,
          channel: d.channel,
          purpose: d.purpose,
          decision: d.decision,
          at: Date.parse(d.recordedAt),
          expiresAt: d.expiresAt ? Date.parse(d.expiresAt) : undefined,
        };
        w.ledgerEntry(entry);
        for (const h of this.state.affectedHashes(d.subject)) affected.add(h);
        apply.push(() => this.state.applyLedgerEntry(entry));
        return;
      }
      case CONSENT_EVENT_TYPES.erased: {
        const d = event.data as ConsentLedgerErasedV1;
        const key = subjectKey(d.subject);
        w.ledgerFloor(key, event.sequence);
        for (const h of this.state.affectedHashes(d.subject)) affected.add(h);
        apply.push(() => this.state.eraseLedger(key, event.sequence));
        return;
      }
      case DIRECTORY_BAN_EVENT_TYPES.set:
      case DIRECTORY_BAN_EVENT_TYPES.lifted: {
        const d = event.data as DirectoryBanSetV1 | DirectoryBanLiftedV1;
        const full = 'scope' in d && d.scope === 'full';
        const ban = { customerId: d.customerId, sequence: event.sequence, fullSince: full ? Date.parse(d.since) : undefined };
        w.ban(ban);
        for (const cp of this.state.customers.get(d.customerId)?.contactPoints ?? []) affected.add(cp.hash);
        apply.push(() => this.state.applyBan(ban));
        return;
      }
      default:
        // parseEvent only lets known types through; a known type without a case here is a bug.
        this.logger.error({ type: event.type }, 'event type without a projection');
    }
  }
}
