import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { DeskRepository } from './desk.repository';
import { DeskLinks, DsrLinkInterceptor } from './dsr-link';
import { DeskRequestDoc, DeskRequestDocSchema, TrailDoc, TrailDocSchema } from './schemas/desk.schema';

/** The desk's storage and the link of writes to it: used by the customers routes and by the desk itself. */
@Module({
  imports: [
    MongooseModule.forFeature([
      { name: DeskRequestDoc.name, schema: DeskRequestDocSchema },
      { name: TrailDoc.name, schema: TrailDocSchema },
    ]),
  ],
  providers: [DeskRepository, DeskLinks, DsrLinkInterceptor],
  exports: [DeskRepository, DeskLinks, DsrLinkInterceptor],
})
export class DeskModule {}
