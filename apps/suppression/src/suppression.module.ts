import path from 'node:path';
import { Module } from '@nestjs/common';
import { getModelToken, MongooseModule } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
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
import { RegisterFreshness } from './freshness/register-freshness';
import { RegistersController } from './registers/registers.controller';
import { RegistersService } from './registers/registers.service';
import { SnapshotDoc, SnapshotDocSchema } from './state/schemas/snapshot.schema';
import { SuppressionProjector } from './projection/suppression-projector.service';
import { SnapshotRepository } from './state/snapshot.repository';
import { SuppressionState } from './engine';
import { SuppressionEnv } from './suppression.env';

@Module({
  imports: [
    MongooseModule.forFeature([
      { name: SnapshotDoc.name, schema: SnapshotDocSchema },
      { name: ClearanceDoc.name, schema: ClearanceDocSchema },
    ]),
  ],
  controllers: [
    CheckController,
    ClearanceController,
    EntriesController,
    RegistersController,
    StateController,
    SuppressionEventsController,
  ],
  providers: [
    // A factory, not a value: every app instance (tests start two in one process) gets its own index.
    { provide: SuppressionState, useFactory: () => new SuppressionState() },
    {
      provide: SnapshotRepository,
      useFactory: (model: Model<SnapshotDoc>, env: SuppressionEnv) => {
        const instance = env.SUPPRESSION_INSTANCE_ID ?? 'default';
        const dir = env.SUPPRESSION_SNAPSHOT_DIR;
        // One copy per database and instance: instances of other databases on this host keep theirs apart.
        const localFile = dir
          ? path.join(dir, encodeURIComponent(model.db.name), `${encodeURIComponent(instance)}.snapshot`)
          : undefined;
        return new SnapshotRepository(model.collection, instance, localFile);
      },
      inject: [getModelToken(SnapshotDoc.name), SuppressionEnv],
    },
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
    RegisterFreshness,
    RegistersService,
    {
      provide: READINESS_CHECKS,
      useFactory: (f: FreshnessService, r: RegisterFreshness) => [f, r],
      inject: [FreshnessService, RegisterFreshness],
    },
  ],
  exports: [READINESS_CHECKS],
})
export class SuppressionModule {}
