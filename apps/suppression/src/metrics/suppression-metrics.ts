import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { REASON_CODES } from '@kielto/contracts';
import { ConsumerProgress, counter, gauge } from '@kielto/platform';
import { SuppressionState } from '../engine';
import type { Decision } from '../engine';
import { FreshnessService } from '../freshness/freshness.service';
import { RegisterFreshness } from '../freshness/register-freshness';
import { PartnerFeedService } from '../feed/partner-feed.service';
import { SuppressionProjector } from '../projection/suppression-projector.service';

/** Slot 0 counts allows; slot 1 + i counts suppressions whose first (highest-precedence) reason is REASON_CODES[i]. */
const SLOTS = 1 + REASON_CODES.length;
const SLOT_OF = new Map<string, number>(REASON_CODES.map((code, i) => [code, i + 1]));

/**
 * Decision counts are tallied in a plain array on the hot path (a labelled prom-client `inc` costs more than a
 * decision) and moved into the counter when Prometheus scrapes, and at least once a second.
 */
export class DecisionTally {
  readonly counts = new Float64Array(SLOTS);

  add(decision: Decision): void {
    this.counts[decision.reasons.length === 0 ? 0 : (SLOT_OF.get(decision.reasons[0].code) ?? 0)]++;
  }
}

/** Live instances; the process-wide gauges report the last started (tests run two in one process). */
const live: SuppressionMetrics[] = [];

@Injectable()
export class SuppressionMetrics implements OnModuleInit, OnModuleDestroy {
  readonly tally = new DecisionTally();
  private timer?: NodeJS.Timeout;
  // The first gauge flushes the tallies on every scrape, before the decisions counter is read.
  private readonly staleness = gauge(
    'kielto_suppression_staleness_ms',
    'How far behind its source topics the suppression list may be (now - asOf; huge before the first catch-up), in ms',
    [],
    () => live.at(-1)?.collect(),
  );
  private readonly decisions = counter(
    'kielto_suppression_decisions_total',
    'Send decisions by decision and first (highest-precedence) reason code',
    ['decision', 'reason'],
  );
  private readonly identifiers = gauge(
    'kielto_suppression_index_identifiers',
    'Identifier hashes in the in-memory index',
  );
  private readonly ledgerEntries = gauge('kielto_suppression_index_ledger_entries', 'Consent ledger entries in memory');
  private readonly staffEntries = gauge(
    'kielto_suppression_index_staff_entries',
    'Staff entries (bounce, complaint, robinson, manual)',
  );
  private readonly lag = gauge(
    'kielto_suppression_consumer_lag_messages',
    'Messages of the source topics not yet projected',
  );
  private readonly events = gauge('kielto_suppression_events_projected', 'Events projected since start');
  private readonly feed = gauge(
    'kielto_suppression_feed_messages_published',
    'Partner feed messages published since start',
  );

  private readonly registerRows = gauge(
    'kielto_suppression_register_rows',
    'Rows of each outside register (asml-phone, asml-post)',
    ['register'],
  );
  private readonly registerOverdue = gauge(
    'kielto_suppression_register_overdue',
    '1 when the newest snapshot of the register is older than KIELTO_REGISTER_MAX_AGE_DAYS (non-customer checks of its channel answer 503)',
    ['register'],
  );

  constructor(
    private readonly registers: RegisterFreshness,
    private readonly state: SuppressionState,
    private readonly freshness: FreshnessService,
    private readonly progress: ConsumerProgress,
    private readonly projector: SuppressionProjector,
    private readonly partnerFeed: PartnerFeedService,
  ) {}

  onModuleInit(): void {
    live.push(this);
    this.timer = setInterval(() => this.flush(), 1000);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
    this.flush();
    const index = live.indexOf(this);
    if (index !== -1) live.splice(index, 1);
  }

  private collect(): void {
    this.flush();
    this.staleness.set(this.freshness.stalenessMs);
    this.identifiers.set(this.state.identifierCount);
    this.ledgerEntries.set(this.state.ledgerEntryCount);
    this.staffEntries.set(this.state.staffEntryCount);
    this.lag.set(this.progress.lag());
    this.events.set(this.projector.eventsProjected);
    this.feed.set(this.partnerFeed.published);
    for (const r of this.registers.status()) {
      this.registerRows.set({ register: r.register }, this.state.register(r.register).size);
      this.registerOverdue.set({ register: r.register }, r.overdue ? 1 : 0);
    }
  }

  /** Moves the tallied decisions into the Prometheus counter. */
  flush(): void {
    const counts = this.tally.counts;
    for (let slot = 0; slot < SLOTS; slot++) {
      const n = counts[slot];
      if (n === 0) continue;
      counts[slot] = 0;
      if (slot === 0) this.decisions.inc({ decision: 'allow', reason: 'none' }, n);
      else this.decisions.inc({ decision: 'suppress', reason: REASON_CODES[slot - 1] }, n);
    }
  }
}
