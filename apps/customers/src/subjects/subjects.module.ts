import { Module } from '@nestjs/common';
import { CustomersModule } from '../customers/customers.module';
import { DeskModule } from '../requests/desk.module';
import { SubjectErasureService } from './subject-erasure.service';
import { SubjectsController } from './subjects.controller';

/** `/v1/subjects`: export and erasure of people who are not customers, by a bare e-mail address or phone number. */
@Module({
  imports: [CustomersModule, DeskModule],
  controllers: [SubjectsController],
  providers: [SubjectErasureService],
})
export class SubjectsModule {}
