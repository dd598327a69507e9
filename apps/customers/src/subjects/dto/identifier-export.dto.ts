import { ApiProperty } from '@nestjs/swagger';
import { AuditRecordDto } from '@kielto/platform';

/** OpenAPI shapes of the export of a bare identifier (IdentifierExport). */
class ExportedIdentifierDto {
  @ApiProperty({ enum: ['email', 'phone'] }) kind!: string;
  @ApiProperty({ description: 'Normalised: e-mail lower-cased, phone E.164' }) value!: string;
  @ApiProperty({ example: 'email:3f9a…', description: 'How the services file it: `<kind>:<keyed hash>`' })
  subject!: string;
}

class HolderDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() customerNumber!: string;
}

class ExportedLedgerDto {
  @ApiProperty({ type: 'array', items: { type: 'object' }, description: 'The 16 (channel, purpose) rows' })
  current!: object[];
  @ApiProperty({ type: 'array', items: { type: 'object' }, description: 'Every entry that binds it, with evidence' })
  history!: object[];
}

export class IdentifierExportDto {
  @ApiProperty({ format: 'date-time' }) generatedAt!: string;
  @ApiProperty({ type: ExportedIdentifierDto }) identifier!: ExportedIdentifierDto;
  @ApiProperty({
    type: [HolderDto],
    description:
      'Customers holding it now: then `consents` is the ledger of the holder; their own export holds the rest',
  })
  heldBy!: HolderDto[];
  @ApiProperty({ type: ExportedLedgerDto }) consents!: ExportedLedgerDto;
  @ApiProperty({
    type: 'array',
    items: { type: 'object' },
    description: 'Suppression entries (bounce, complaint, robinson, manual) of its keyed hash',
  })
  suppression!: object[];
  @ApiProperty({
    type: 'array',
    items: { type: 'object' },
    description: 'Requests on the desk naming it, with status and trail',
  })
  requests!: object[];
  @ApiProperty({ type: [AuditRecordDto], description: 'Who read its data and when, across the four services' })
  reads!: AuditRecordDto[];
}
