import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { BansController } from './bans.controller';
import { BansProjector } from './bans-projector.service';
import { BansRepository } from './bans.repository';
import { BansService } from './bans.service';
import { DirectoryBanDoc, DirectoryBanDocSchema } from './schemas/directory-ban.schema';

@Module({
  imports: [MongooseModule.forFeature([{ name: DirectoryBanDoc.name, schema: DirectoryBanDocSchema }])],
  controllers: [BansController],
  providers: [BansRepository, BansService, BansProjector],
  exports: [BansRepository],
})
export class BansModule {}
