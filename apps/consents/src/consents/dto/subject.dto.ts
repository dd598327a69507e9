import { OptionalCustomerId, OptionalEmail, OptionalPhone } from '@kielto/platform';

/** Whom a request is about: exactly one of these (ConsentsService.subjectOf says so, naming the fields). */
export class SubjectDto {
  @OptionalCustomerId() customerId?: string;
  @OptionalEmail() email?: string;
  @OptionalPhone() phone?: string;
}
