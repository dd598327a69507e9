import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { ConsentsController } from './consents.controller';
import { ConsentsEventsController } from './consents.events.controller';
import { ConsentsService } from './consents.service';
import { CustomerDirectoryRepository } from './customer-directory.repository';
import { LedgerErasureService } from './ledger-erasure.service';
import { CustomerContactsDoc, CustomerContactsSchema } from './schemas/customer-contacts.schema';
import { SmsKeywordDoc, SmsKeywordSchema } from './schemas/sms-keyword.schema';
import { SmsKeywordRepository } from './sms-keyword.repository';

@Module({
  imports: [
    MongooseModule.forFeature([
      { name: CustomerContactsDoc.name, schema: CustomerContactsSchema },
      { name: SmsKeywordDoc.name, schema: SmsKeywordSchema },
    ]),
  ],
  controllers: [ConsentsController, ConsentsEventsController],
  providers: [ConsentsService, CustomerDirectoryRepository, LedgerErasureService, SmsKeywordRepository],
  exports: [ConsentsService, SmsKeywordRepository],
})
export class ConsentsModule {}
