import { Controller, Delete, Get, Header, HttpCode, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import {
  Actor,
  AuditReads,
  bareIdentifierOf,
  CurrentActor,
  IdentifierQueryDto,
  ReadsPersonalData,
  Roles,
} from '@kielto/platform';
import { DataSubjectExportService, IdentifierExport } from '../customers/export/data-subject-export.service';
import { LinksDsr } from '../requests/dsr-link';
import { IdentifierExportDto } from './dto/identifier-export.dto';
import { SubjectErasureReceipt, SubjectErasureService } from './subject-erasure.service';

class SubjectErasureReceiptDto implements SubjectErasureReceipt {
  @ApiProperty({ example: 'email:3f9a…', description: '`email:<keyed hash>` or `phone:<keyed hash>`' })
  subject!: string;
  @ApiProperty({ enum: ['erased'] }) status!: 'erased';
  @ApiProperty({ format: 'date-time' }) erasedAt!: string;
  @ApiProperty({ description: 'Consent ledger entries (and SMS keywords sent from the number) deleted' })
  ledgerEntriesErased!: number;
}

/**
 * People who are not customers — prospects, contact persons, people reached through bought lists — named by a bare
 * e-mail address or phone number: their export and erasure (GDPR Art 15, 17, 20). The data protection officer's (and
 * admin's) alone, like the customer export.
 */
@ApiTags('subjects')
@Roles('dpo')
@Controller('v1/subjects')
export class SubjectsController {
  constructor(
    private readonly exports: DataSubjectExportService,
    private readonly erasure: SubjectErasureService,
  ) {}

  @Get('export')
  @AuditReads()
  @ReadsPersonalData({ lookup: true })
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary:
      'What the four services hold about a bare e-mail or phone (exactly one): consent ledger, suppression entries, ' +
      'requests on the desk, reads (503 rather than partial)',
  })
  @ApiOkResponse({ type: IdentifierExportDto })
  export(@Query() query: IdentifierQueryDto): Promise<IdentifierExport> {
    return this.exports.exportIdentifier(bareIdentifierOf(query));
  }

  /** The audit record of the erasure names the identifier's keyed hash as its subject (never the identifier). */
  @Delete()
  @LinksDsr('erasure')
  @ReadsPersonalData({ lookup: true })
  @HttpCode(202)
  @ApiOperation({
    summary:
      'Erase a bare e-mail or phone (exactly one), keeping its refusals as keyed hashes (R8); 409 while a customer ' +
      'holds it (erase or rectify the customer) or held it',
  })
  @ApiAcceptedResponse({ type: SubjectErasureReceiptDto })
  erase(@Query() query: IdentifierQueryDto, @CurrentActor() actor: Actor): Promise<SubjectErasureReceipt> {
    return this.erasure.erase(bareIdentifierOf(query), actor);
  }
}
