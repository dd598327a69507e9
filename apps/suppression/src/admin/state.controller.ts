import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ConsumerProgress } from '@kielto/platform';
import { FreshnessService } from '../freshness/freshness.service';
import { StateDigest, SuppressionState } from '../engine';

@ApiTags('operations')
@ApiBearerAuth()
@Controller('v1/suppression/state')
export class StateController {
  constructor(
    private readonly state: SuppressionState,
    private readonly freshness: FreshnessService,
    private readonly progress: ConsumerProgress,
  ) {}

  /**
   * Admin only (no @Roles). A deterministic SHA-256 of the in-memory state, sorted, plus counts: two
   * instances, or a live store and one rebuilt from the topics, hold the same list exactly when these match.
   */
  @Get('digest')
  digest(): StateDigest & { asOf: string | null; lag: number } {
    const asOf = this.freshness.asOf;
    return { ...this.state.digest(), asOf: asOf ? new Date(asOf).toISOString() : null, lag: this.progress.lag() };
  }
}
