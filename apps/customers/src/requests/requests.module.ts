import { Module } from '@nestjs/common';
import { CustomersModule } from '../customers/customers.module';
import { DeskModule } from './desk.module';
import { RequestsController } from './requests.controller';
import { RequestsService } from './requests.service';

@Module({
  imports: [CustomersModule, DeskModule],
  controllers: [RequestsController],
  providers: [RequestsService],
})
export class RequestsModule {}
