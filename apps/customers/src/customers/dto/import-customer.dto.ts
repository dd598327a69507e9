import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsISO8601, IsOptional, IsString, Length } from 'class-validator';
import { CreateCustomerDto } from './create-customer.dto';

/**
 * One line of `POST /v1/customers/import`: a customer as `POST /v1/customers` takes it (the same rules), plus what
 * a legacy register already knows about it.
 */
export class ImportCustomerDto extends CreateCustomerDto {
  @ApiProperty({
    description:
      "The customer's key in the legacy register, unique there. The kielto id is derived from it, so importing the " +
      'same register again skips the customers already imported, and consents and bans files can name the customer ' +
      'by `customerRef`',
    example: 'legacy-000123',
  })
  @IsString()
  @Length(1, 100)
  ref!: string;

  @ApiPropertyOptional({
    description: 'The customer number it had (K and 8 digits, valid check digit); drawn when absent',
    example: 'K40512738',
  })
  @IsOptional()
  @IsString()
  customerNumber?: string;

  @ApiPropertyOptional({
    format: 'date-time',
    description:
      'When the relationship began (not in the future): the customer holds its identifiers since then, so history ' +
      'recorded against them since then binds it. Default: the time of the import',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  customerSince?: string;
}
