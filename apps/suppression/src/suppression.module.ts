import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { READINESS_CHECKS } from '@kielto/platform';
import { StateController } from './admin/state.controller';
import { CheckController } from './check/check.controller';
import { CheckService } from './check/check.service';
import { FastIdentifierHasher } from './check/fast-hasher';
import { ClearanceController } from './clearance/clearance.controller';
import { ClearanceRepository } from './clearance/clearance.repository';
import { ClearanceService } from './clearance/clearance.service';
import { ClearanceDoc, ClearanceDocSchema } from './clearance/schemas/clearance.schema';
import { EntriesController } from './entries/entries.controller';
import { EntriesService } from './entries/entries.service';
import { SuppressionEventsController } from './events/suppression.events.controller';
import { PartnerFeedService } from './feed/partner-feed.service';
import { FreshnessService } from './freshness/freshness.service';
import { SuppressionMetrics } from './metrics/suppression-metrics';
import {
  BanDoc,
  BanDocSchema,
  CustomerDoc,
  CustomerDocSchema,
  LedgerDoc,
  LedgerDocSchema,
  MarkerDoc,
  MarkerDocSchema,
  StaffEntryDoc,
  StaffEntryDocSchema,
} from './state/schemas/state.schemas';
import { SuppressionProjector } from './state/suppression-projector.service';
import { SuppressionRepository } from './state/suppression.repository';
import { SuppressionState } from './state/suppression-state';
import { SuppressionEnv } from './suppression.env';

@Module({
  imports: [
    MongooseModule.forFeature([
      { name: CustomerDoc.name, schema: CustomerDocSchema },
      { name: LedgerDoc.name, schema: LedgerDocSchema },
      { name: MarkerDoc.name, schema: MarkerDocSchema },
      { name: BanDoc.name, schema: BanDocSchema },
      { name: StaffEntryDoc.name, schema: StaffEntryDocSchema },
      { name: ClearanceDoc.name, schema: ClearanceDocSchema },
    ]),
  ],
  controllers: [CheckController, ClearanceController, EntriesController, StateController, SuppressionEventsController],
  providers: [
    // A factory, not a value: every app instance (tests start two in one process) gets its own index.
    { provide: SuppressionState, useFactory: () => new SuppressionState() },
    SuppressionRepository,
    PartnerFeedService,
    SuppressionProjector,
    FreshnessService,
    SuppressionMetrics,
    {
      provide: FastIdentifierHasher,
      useFactory: (env: SuppressionEnv) => new FastIdentifierHasher(env.KIELTO_PARTNER_HASH_KEY),
      inject: [SuppressionEnv],
    },
    CheckService,
    ClearanceRepository,
    ClearanceService,
    EntriesService,
    { provide: READINESS_CHECKS, useFactory: (f: FreshnessService) => [f], inject: [FreshnessService] },
  ],
  exports: [READINESS_CHECKS],
})
export class SuppressionModule {}
