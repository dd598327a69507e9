import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { importBatchSchema, importRowClaimSchema, lookupSlotSchema } from '@kielto/platform';
import { CustomerLookupBackfill, CustomerLookups } from './customer-lookups';
import { CustomerReadAliases } from './customer-read-aliases';
import { CustomerStore } from './customer-store';
import { CustomersController } from './customers.controller';
import { CUSTOMER_LOOKUPS, CustomersRepository } from './customers.repository';
import { CustomersService } from './customers.service';
import { DataSubjectExportService } from './export/data-subject-export.service';
import { PeerServices } from './export/peer-services';
import { IdentityCodeProtector } from './identity-code-protector';
import { CUSTOMER_IMPORT_BATCHES, CUSTOMER_IMPORT_ROWS, CustomerImportService } from './import/customer-import.service';
import {
  POPULATION_REGISTER_BAN_IMPORT_BATCHES,
  PopulationRegisterBanImportService,
} from './import/population-register-ban-import.service';
import { DeskModule } from '../requests/desk.module';
import { CustomerDoc, CustomerDocSchema } from './schemas/customer.schema';
import {
  CustomerNumberDoc,
  CustomerNumberDocSchema,
  CustomerRevisionDoc,
  CustomerRevisionDocSchema,
} from './schemas/customer-revision.schema';
import { RetentionDueDoc, RetentionDueDocSchema } from './schemas/retention-due.schema';

@Module({
  imports: [
    DeskModule,
    MongooseModule.forFeature([
      { name: CustomerDoc.name, schema: CustomerDocSchema },
      { name: CustomerRevisionDoc.name, schema: CustomerRevisionDocSchema },
      { name: CustomerNumberDoc.name, schema: CustomerNumberDocSchema },
      { name: CUSTOMER_LOOKUPS, schema: lookupSlotSchema(CUSTOMER_LOOKUPS) },
      { name: CUSTOMER_IMPORT_BATCHES, schema: importBatchSchema(CUSTOMER_IMPORT_BATCHES) },
      { name: CUSTOMER_IMPORT_ROWS, schema: importRowClaimSchema(CUSTOMER_IMPORT_ROWS) },
      {
        name: POPULATION_REGISTER_BAN_IMPORT_BATCHES,
        schema: importBatchSchema(POPULATION_REGISTER_BAN_IMPORT_BATCHES),
      },
      { name: RetentionDueDoc.name, schema: RetentionDueDocSchema },
    ]),
  ],
  controllers: [CustomersController],
  providers: [
    CustomersRepository,
    CustomerLookups,
    CustomerLookupBackfill,
    CustomerStore,
    IdentityCodeProtector,
    CustomersService,
    PeerServices,
    DataSubjectExportService,
    CustomerReadAliases,
    CustomerImportService,
    PopulationRegisterBanImportService,
  ],
  exports: [CustomersService, CustomerStore, CustomersRepository, PeerServices, DataSubjectExportService],
})
export class CustomersModule {}
