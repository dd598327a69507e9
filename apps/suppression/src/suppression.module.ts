import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { READINESS_CHECKS } from '@kielto/platform';
import { CheckController } from './check/check.controller';
import { CheckService } from './check/check.service';
import { SuppressionEventsController } from './events/suppression.events.controller';
import { FreshnessService } from './freshness/freshness.service';
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

@Module({
  imports: [
    MongooseModule.forFeature([
      { name: CustomerDoc.name, schema: CustomerDocSchema },
      { name: LedgerDoc.name, schema: LedgerDocSchema },
      { name: MarkerDoc.name, schema: MarkerDocSchema },
      { name: BanDoc.name, schema: BanDocSchema },
      { name: StaffEntryDoc.name, schema: StaffEntryDocSchema },
    ]),
  ],
  controllers: [CheckController, SuppressionEventsController],
  providers: [
    { provide: SuppressionState, useValue: new SuppressionState() },
    SuppressionRepository,
    SuppressionProjector,
    FreshnessService,
    CheckService,
    { provide: READINESS_CHECKS, useFactory: (f: FreshnessService) => [f], inject: [FreshnessService] },
  ],
  exports: [READINESS_CHECKS],
})
export class SuppressionModule {}
