import { Module } from '@nestjs/common';
import { BansModule } from '../bans/bans.module';
import { ListingModule } from '../listing/listing.module';
import { DirectoryController } from './directory.controller';
import { DirectoryService } from './directory.service';

@Module({
  imports: [BansModule, ListingModule],
  controllers: [DirectoryController],
  providers: [DirectoryService],
})
export class DirectoryModule {}
