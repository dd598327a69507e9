import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { CustomersModule } from '../customers/customers.module';
import { RetentionController } from './retention.controller';
import { RetentionRepository } from './retention.repository';
import { RetentionService } from './retention.service';
import { RetentionRunDoc, RetentionRunDocSchema } from './schemas/retention-run.schema';

@Module({
  imports: [
    CustomersModule,
    MongooseModule.forFeature([{ name: RetentionRunDoc.name, schema: RetentionRunDocSchema }]),
  ],
  controllers: [RetentionController],
  providers: [RetentionRepository, RetentionService],
})
export class RetentionModule {}
