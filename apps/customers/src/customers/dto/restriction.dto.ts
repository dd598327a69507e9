import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length } from 'class-validator';

export class RestrictDto {
  @ApiProperty({ description: 'Why processing is restricted (GDPR Art 18)', example: 'accuracy contested' })
  @IsString()
  @Length(1, 500)
  reason!: string;
}

export class LiftRestrictionDto {
  @ApiPropertyOptional({ example: 'rectification done' }) @IsOptional() @IsString() @Length(1, 500) reason?: string;
}
