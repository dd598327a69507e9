import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsISO8601, IsOptional, IsString, Length } from 'class-validator';

export class LegalHoldDto {
  @ApiProperty({
    description: 'Why the data must be kept (GDPR Art 17(3)(e)): e.g. a dispute or an authority’s request',
    example: 'invoice dispute, case 2026-118',
  })
  @IsString()
  @Length(1, 500)
  reason!: string;

  @ApiPropertyOptional({
    format: 'date-time',
    description: 'The hold ends by itself at this instant (in the future); without it, it lasts until released',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  until?: string;
}
