import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsUUID } from 'class-validator';

export class CustomerIdParamDto {
  @ApiProperty({ format: 'uuid', description: 'The customer id (as assigned by the customers service)' })
  // Customer ids are lower-case UUIDs: a ban stored under another spelling would never meet its listing.
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.toLowerCase() : value))
  @IsUUID()
  customerId!: string;
}
