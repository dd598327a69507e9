import { Injectable, Logger } from '@nestjs/common';
import { ConsumerProgress, ProblemException, ReadinessCheck } from '@kielto/platform';
import { SuppressionEnv } from '../suppression.env';
import { SuppressionProjector } from '../projection/suppression-projector.service';

/** How long a check that found the watermark too old may wait for Kafka to confirm the state before refusing. */
const CONFIRM_TIMEOUT_MS = 1_000;
/** At most one warning per this interval about a stale watermark. */
const WARN_INTERVAL_MS = 10_000;

/** The list may be behind its sources by more than the bound: a check must not be answered. */
export class StaleStateProblem extends ProblemException {
  constructor(asOf: number) {
    super(
      503,
      'stale-suppression-state',
      asOf === 0
        ? 'The suppression list is still loading; try again shortly'
        : `The suppression list is ${Date.now() - asOf} ms behind its sources; refusing to answer rather than risk a wrong allow`,
      undefined,
      { 'retry-after': '1' },
    );
  }
}

/**
 * Fail closed: answers are only given while the state is known to include every event published up to
 * `SUPPRESSION_MAX_STALENESS_MS` ago. Consumer lag, a stuck consumer or an unreachable broker all stop
 * `asOf` from advancing, and checks answer 503 with Retry-After instead of a possibly wrong "allow".
 *
 * `asOf` advances by samples of the topics' end offsets every 250 ms. A watermark older than the bound therefore
 * also follows from a sample that could not run or was slow — the event loop busy with a large request, the broker
 * slow to answer — while nothing was published. A check that finds it too old asks Kafka at once (`untilFresh`)
 * and refuses only when the state is still not shown to be complete: checks refuse only when the list may really
 * be behind. The hot path (a fresh watermark) stays synchronous and does no I/O.
 */
@Injectable()
export class FreshnessService implements ReadinessCheck {
  readonly name = 'suppression-state';
  private readonly logger = new Logger(FreshnessService.name);
  private lastWarnedAt = 0;
  /** When a confirmation last ended without showing the list complete. */
  private lastUnconfirmedAt = 0;

  constructor(
    private readonly progress: ConsumerProgress,
    private readonly projector: SuppressionProjector,
    private readonly env: SuppressionEnv,
  ) {}

  /** Epoch ms the answers are based on. */
  get asOf(): number {
    return this.projector.isLoaded ? this.progress.asOf : 0;
  }

  get stalenessMs(): number {
    return Date.now() - this.asOf;
  }

  /** Whether the watermark is within the bound now (the rule of assertFresh, without the problem or the log). */
  get isFresh(): boolean {
    return Date.now() - this.asOf <= this.env.SUPPRESSION_MAX_STALENESS_MS;
  }

  /** Throws a 503 problem when the state may be stale; returns the watermark otherwise. */
  assertFresh(): number {
    const asOf = this.asOf;
    if (Date.now() - asOf > this.env.SUPPRESSION_MAX_STALENESS_MS) {
      if (asOf !== 0) {
        this.warnAtMostEvery10s(
          { behindMs: Date.now() - asOf, lag: this.progress.lag() },
          'check refused: the list may be behind',
        );
      }
      throw new StaleStateProblem(asOf);
    }
    return asOf;
  }

  /**
   * Resolves at once while the watermark is within the bound; otherwise asks Kafka for the end offsets now and
   * waits (at most CONFIRM_TIMEOUT_MS) until the state is shown to include everything published before this call.
   * Callers then take `assertFresh()`, which refuses if that did not happen.
   */
  async untilFresh(): Promise<void> {
    if (!this.projector.isLoaded || this.isFresh) return;
    const asked = Date.now();
    // While Kafka has just said the list is behind (an outage, a catch-up), refuse at once: holding every check for
    // the confirmation would pile up requests at exactly the wrong moment.
    if (asked - this.lastUnconfirmedAt < CONFIRM_TIMEOUT_MS) return;
    const before = this.asOf;
    const asOf = await this.progress.confirmSince(asked, CONFIRM_TIMEOUT_MS);
    const confirmed = asOf >= asked;
    if (!confirmed) this.lastUnconfirmedAt = Date.now();
    // Worth knowing either way: a watermark that only lagged (confirmed), or a list really behind.
    this.warnAtMostEvery10s(
      {
        behindMs: before === 0 ? null : asked - before,
        confirmed,
        waitedMs: Date.now() - asked,
        lag: this.progress.lag(),
      },
      'watermark older than the bound; asked Kafka before answering',
    );
  }

  check() {
    const staleness = this.stalenessMs;
    return Promise.resolve({
      ok: staleness <= this.env.SUPPRESSION_MAX_STALENESS_MS,
      detail: { asOf: this.asOf ? new Date(this.asOf).toISOString() : null, lag: this.progress.lag() },
    });
  }

  /** Refusals and confirmations are what an operator must explain, but an outage must not flood the log. */
  private warnAtMostEvery10s(fields: Record<string, unknown>, message: string): void {
    const now = Date.now();
    if (now - this.lastWarnedAt < WARN_INTERVAL_MS) return;
    this.lastWarnedAt = now;
    this.logger.warn(fields, message);
  }
}
