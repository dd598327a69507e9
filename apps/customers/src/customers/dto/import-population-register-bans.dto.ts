import { ApiProperty } from '@nestjs/swagger';
import { IsString } from 'class-validator';
import type { PopulationRegisterBan } from '@kielto/contracts';
import { OptionalPopulationRegisterBans } from './customer-parts.dto';

/**
 * One line of `POST /v1/customers/population-register-bans/import` (a DVV refresh file): the bans a customer holds
 * now, by customer number. The list replaces the customer's, as `PATCH /v1/customers/:id` does (`[]` lifts them).
 */
export class ImportPopulationRegisterBansDto {
  @ApiProperty({ description: 'K and 8 digits with a valid check digit, any case or spacing', example: 'K40512738' })
  @IsString()
  customerNumber!: string;

  // Required in a row (rowErrors says so): a refresh line without its bans would say nothing.
  @OptionalPopulationRegisterBans() populationRegisterBans!: PopulationRegisterBan[];
}
