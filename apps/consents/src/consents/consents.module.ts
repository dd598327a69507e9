import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { ConsentEvidenceRepository } from './consent-evidence.repository';
import { ConsentsController } from './consents.controller';
import { ConsentsEventsController } from './consents.events.controller';
import { ConsentsService } from './consents.service';
import { lookupSlotSchema } from '@kielto/platform';
import { CUSTOMER_IDENTIFIERS, CustomerDirectoryRepository } from './customer-directory.repository';
import { LedgerErasureService } from './ledger-erasure.service';
import { ConsentEvidenceDoc, ConsentEvidenceSchema } from './schemas/consent-evidence.schema';
import { CustomerContactsDoc, CustomerContactsSchema } from './schemas/customer-contacts.schema';
import { SmsKeywordDoc, SmsKeywordSchema } from './schemas/sms-keyword.schema';
import { SmsKeywordRepository } from './sms-keyword.repository';

@Module({
  imports: [
    MongooseModule.forFeature([
      { name: CustomerContactsDoc.name, schema: CustomerContactsSchema },
      { name: SmsKeywordDoc.name, schema: SmsKeywordSchema },
      { name: ConsentEvidenceDoc.name, schema: ConsentEvidenceSchema },
      { name: CUSTOMER_IDENTIFIERS, schema: lookupSlotSchema(CUSTOMER_IDENTIFIERS) },
    ]),
  ],
  controllers: [ConsentsController, ConsentsEventsController],
  providers: [
    ConsentsService,
    ConsentEvidenceRepository,
    CustomerDirectoryRepository,
    LedgerErasureService,
    SmsKeywordRepository,
  ],
  exports: [ConsentsService, SmsKeywordRepository],
})
export class ConsentsModule {}
