import { OptionalCustomerId, OptionalEmail, OptionalPhone } from '@kielto/platform';

export class ConsentQueryDto {
  @OptionalCustomerId() customerId?: string;
  @OptionalEmail() email?: string;
  @OptionalPhone() phone?: string;
}
