import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, IsUUID } from 'class-validator';
import { IsNormalisableEmail, IsNormalisablePhone } from '@kielto/contracts';

export class ConsentQueryDto {
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() customerId?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @IsNormalisableEmail() email?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @IsNormalisablePhone() phone?: string;
}
