import { Injectable } from '@nestjs/common';
import { ConsumerProgress, ProblemException, ReadinessCheck } from '@kielto/platform';
import { SuppressionEnv } from '../suppression.env';
import { SuppressionProjector } from '../state/suppression-projector.service';

/**
 * Fail closed: answers are only given while the state is known to include every event published up to
 * `SUPPRESSION_MAX_STALENESS_MS` ago. Consumer lag, a stuck consumer or an unreachable broker all stop
 * `asOf` from advancing, and checks answer 503 with Retry-After instead of a possibly wrong "allow".
 */
@Injectable()
export class FreshnessService implements ReadinessCheck {
  readonly name = 'suppression-state';

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

  /** Whether answers may be given now (the same rule as assertFresh, without the problem). */
  isFresh(): boolean {
    return Date.now() - this.asOf <= this.env.SUPPRESSION_MAX_STALENESS_MS;
  }

  /** Throws a 503 problem when the state may be stale; returns the watermark otherwise. */
  assertFresh(): number {
    const asOf = this.asOf;
    if (!this.isFresh()) {
      throw new ProblemException(
        503,
        'stale-suppression-state',
        asOf === 0
          ? 'The suppression list is still loading; try again shortly'
          : `The suppression list is ${Date.now() - asOf} ms behind its sources; refusing to answer rather than risk a wrong allow`,
        undefined,
        { 'retry-after': '1' },
      );
    }
    return asOf;
  }

  check() {
    const staleness = this.stalenessMs;
    return Promise.resolve({
      ok: staleness <= this.env.SUPPRESSION_MAX_STALENESS_MS,
      detail: { asOf: this.asOf ? new Date(this.asOf).toISOString() : null, lag: this.progress.lag() },
    });
  }
}
