import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { ListingEventsController } from './listing.events.controller';
import { ListingRepository } from './listing.repository';
import { ListingService } from './listing.service';
import { ListingDoc, ListingDocSchema } from './schemas/listing.schema';

@Module({
  imports: [MongooseModule.forFeature([{ name: ListingDoc.name, schema: ListingDocSchema }])],
  controllers: [ListingEventsController],
  providers: [ListingRepository, ListingService],
  exports: [ListingRepository],
})
export class ListingModule {}
