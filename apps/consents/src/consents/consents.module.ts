import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { ConsentsController } from './consents.controller';
import { ConsentsEventsController } from './consents.events.controller';
import { ConsentsService } from './consents.service';
import { lookupSlotSchema } from '@kielto/platform';
import { CUSTOMER_IDENTIFIERS, CustomerDirectoryRepository } from './customer-directory.repository';
import { LedgerErasureService } from './ledger-erasure.service';
import { CustomerContactsDoc, CustomerContactsSchema } from './schemas/customer-contacts.schema';
import { SmsKeywordDoc, SmsKeywordSchema } from './schemas/sms-keyword.schema';
import { SmsKeywordRepository } from './sms-keyword.repository';

@Module({
  imports: [
    MongooseModule.forFeature([
      { name: CustomerContactsDoc.name, schema: CustomerContactsSchema },
      { name: SmsKeywordDoc.name, schema: SmsKeywordSchema },
      { name: CUSTOMER_IDENTIFIERS, schema: lookupSlotSchema(CUSTOMER_IDENTIFIERS) },
    ]),
  ],
  controllers: [ConsentsController, ConsentsEventsController],
  providers: [ConsentsService, CustomerDirectoryRepository, LedgerErasureService, SmsKeywordRepository],
  exports: [ConsentsService, SmsKeywordRepository],
})
export class ConsentsModule {}
