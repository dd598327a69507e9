import { OptionalCustomerId, OptionalCustomerRef } from '@kielto/platform';
import { PutDirectoryBanDto } from './put-directory-ban.dto';

/**
 * One line of `POST /v1/directory-bans/import`: a ban as `PUT /v1/directory-bans/:customerId` takes it (the same
 * rules), with its customer named by id or by the legacy key it was imported under.
 */
export class ImportDirectoryBanDto extends PutDirectoryBanDto {
  @OptionalCustomerId() customerId?: string;

  @OptionalCustomerRef() customerRef?: string;
}
