import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { BansController } from './bans.controller';
import { BansProjector } from './bans-projector.service';
import { BansRepository } from './bans.repository';
import { BansService } from './bans.service';
import { BAN_IMPORT_BATCHES, BanImportService } from './import/ban-import.service';
import { importBatchSchema } from '@kielto/platform';
import { DirectoryBanDoc, DirectoryBanDocSchema } from './schemas/directory-ban.schema';

@Module({
  imports: [
    MongooseModule.forFeature([
      { name: DirectoryBanDoc.name, schema: DirectoryBanDocSchema },
      { name: BAN_IMPORT_BATCHES, schema: importBatchSchema(BAN_IMPORT_BATCHES) },
    ]),
  ],
  controllers: [BansController],
  providers: [BansRepository, BansService, BansProjector, BanImportService],
  exports: [BansRepository],
})
export class BansModule {}
