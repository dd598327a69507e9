import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { ConsentEvidenceRepository } from './consent-evidence.repository';
import { ConsentsController } from './consents.controller';
import { ConsentsEventsController } from './consents.events.controller';
import { ConsentsService } from './consents.service';
import { importBatchSchema, importRowClaimSchema, lookupSlotSchema } from '@kielto/platform';
import { Schema } from 'mongoose';
import {
  CONSENT_IMPORT_BATCHES,
  CONSENT_IMPORT_ENTRIES,
  CONSENT_IMPORT_ROWS,
  ConsentImportService,
} from './import/consent-import.service';
import { CUSTOMER_IDENTIFIERS, CustomerDirectoryRepository } from './customer-directory.repository';
import { LedgerErasureService } from './ledger-erasure.service';
import { RequestDeskClient } from './request-desk.client';
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
      { name: CONSENT_IMPORT_BATCHES, schema: importBatchSchema(CONSENT_IMPORT_BATCHES) },
      { name: CONSENT_IMPORT_ROWS, schema: importRowClaimSchema(CONSENT_IMPORT_ROWS) },
      {
        name: CONSENT_IMPORT_ENTRIES,
        schema: new Schema({ _id: String }, { collection: CONSENT_IMPORT_ENTRIES, versionKey: false }),
      },
    ]),
  ],
  controllers: [ConsentsController, ConsentsEventsController],
  providers: [
    ConsentsService,
    ConsentImportService,
    ConsentEvidenceRepository,
    CustomerDirectoryRepository,
    LedgerErasureService,
    RequestDeskClient,
    SmsKeywordRepository,
  ],
  exports: [ConsentsService, SmsKeywordRepository],
})
export class ConsentsModule {}
