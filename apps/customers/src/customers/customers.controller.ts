import {
  Body,
  Controller,
  Delete,
  Get,
  Header,
  Headers,
  HttpCode,
  Param,
  Patch,
  Post,
  Put,
  Query,
} from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  Actor,
  AuditReads,
  CurrentActor,
  IDEMPOTENCY_KEY,
  isDryRun,
  idempotencyKey,
  ImportBatchResult,
  ImportRoute,
  requireNdjson,
  ReadsPersonalData,
  Roles,
} from '@kielto/platform';
import { CustomerView } from './customer-mapping';
import { CustomersService, ErasureReceipt } from './customers.service';
import { CreateCustomerDto } from './dto/create-customer.dto';
import { CustomerQueryDto, IdentityCodeSearchDto } from './dto/customer-query.dto';
import { CustomerResponseDto } from './dto/customer-response.dto';
import { LegalHoldDto } from './dto/legal-hold.dto';
import { LiftRestrictionDto, RestrictDto } from './dto/restriction.dto';
import { UpdateCustomerDto } from './dto/update-customer.dto';
import { DataSubjectExport, DataSubjectExportService } from './export/data-subject-export.service';
import { ImportCustomerDto } from './dto/import-customer.dto';
import { CustomerImportService, MAX_CUSTOMER_IMPORT_ROWS } from './import/customer-import.service';
import { ImportPopulationRegisterBansDto } from './dto/import-population-register-bans.dto';
import {
  MAX_POPULATION_REGISTER_BAN_IMPORT_ROWS,
  PopulationRegisterBanImportService,
} from './import/population-register-ban-import.service';
import { LinksDsr } from '../requests/dsr-link';

@ApiTags('customers')
@ApiBearerAuth()
@Roles('staff')
@Controller('v1/customers')
export class CustomersController {
  constructor(
    private readonly customers: CustomersService,
    private readonly exports: DataSubjectExportService,
    private readonly imports: CustomerImportService,
    private readonly banImports: PopulationRegisterBanImportService,
  ) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Create a person or organisation customer' })
  @ApiCreatedResponse({ type: CustomerResponseDto })
  create(@Body() body: CreateCustomerDto, @CurrentActor() actor: Actor): Promise<CustomerView> {
    return this.customers.create(body, actor);
  }

  /** Loading a legacy register (README, operators: `kielto import customers FILE`). */
  @ImportRoute('Import customers from a legacy register (NDJSON)', ImportCustomerDto, MAX_CUSTOMER_IMPORT_ROWS)
  import(
    @Body() body: unknown,
    @Headers(IDEMPOTENCY_KEY) key: unknown,
    @Query('dryRun') dryRun: unknown,
    @CurrentActor() actor: Actor,
  ): Promise<ImportBatchResult> {
    return this.imports.import(requireNdjson(body), actor, idempotencyKey(key), isDryRun(dryRun));
  }

  /**
   * DVV refresh files (README, operators: `kielto import population-register-bans FILE`): each row replaces a
   * customer's bans as PATCH does, so suppression and the directory follow from the same events.
   */
  @ImportRoute(
    'Import population-register (DVV) bans by customer number (NDJSON)',
    ImportPopulationRegisterBansDto,
    MAX_POPULATION_REGISTER_BAN_IMPORT_ROWS,
    'population-register-bans/import',
  )
  importBans(
    @Body() body: unknown,
    @Headers(IDEMPOTENCY_KEY) key: unknown,
    @Query('dryRun') dryRun: unknown,
    @CurrentActor() actor: Actor,
  ): Promise<ImportBatchResult> {
    return this.banImports.import(requireNdjson(body), actor, idempotencyKey(key), isDryRun(dryRun));
  }

  @Get()
  @Roles('staff', 'dpo')
  @ReadsPersonalData({ result: true })
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'Find customers by exactly one of email, phone or customerNumber' })
  @ApiOkResponse({ type: [CustomerResponseDto] })
  find(@Query() query: CustomerQueryDto): Promise<CustomerView[]> {
    return this.customers.find(query);
  }

  /** Identity codes are the key to a person: the data protection officer (and admin) alone may search by them. */
  @Post('search')
  @Roles('dpo')
  @AuditReads()
  @ReadsPersonalData({ result: true })
  @HttpCode(200)
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'Find customers by personal identity code (in the body, never in a URL)' })
  @ApiOkResponse({ type: [CustomerResponseDto] })
  search(@Body() body: IdentityCodeSearchDto): Promise<CustomerView[]> {
    return this.customers.findByIdentityCode(body.personalIdentityCode);
  }

  @Get(':id')
  @Roles('staff', 'dpo')
  @ReadsPersonalData({ param: 'id' })
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'A customer, the identity code masked' })
  @ApiOkResponse({ type: CustomerResponseDto })
  get(@Param('id') id: string): Promise<CustomerView> {
    return this.customers.get(id);
  }

  @Patch(':id')
  @LinksDsr('rectification')
  @ApiOperation({
    summary: 'Rectify; also while processing is restricted (R7), which stays in force',
  })
  @ApiOkResponse({ type: CustomerResponseDto })
  update(
    @Param('id') id: string,
    @Body() body: UpdateCustomerDto,
    @CurrentActor() actor: Actor,
  ): Promise<CustomerView> {
    return this.customers.update(id, body, actor);
  }

  @Delete(':id')
  @LinksDsr('erasure')
  @HttpCode(202)
  @ApiOperation({
    summary:
      'Erase (409 while activeContract is true or a legal hold is in force; allowed while processing is restricted, R7)',
  })
  erase(@Param('id') id: string, @CurrentActor() actor: Actor): Promise<ErasureReceipt> {
    return this.customers.erase(id, actor);
  }

  @Put(':id/restriction')
  @LinksDsr('restriction')
  @ApiOperation({ summary: 'Restrict processing (GDPR Art 18); suppression then blocks all marketing' })
  @ApiOkResponse({ type: CustomerResponseDto })
  restrict(@Param('id') id: string, @Body() body: RestrictDto, @CurrentActor() actor: Actor): Promise<CustomerView> {
    return this.customers.restrict(id, body.reason, actor);
  }

  @Delete(':id/restriction')
  @LinksDsr('restriction-lifted')
  @ApiOperation({ summary: 'Lift the restriction of processing' })
  @ApiOkResponse({ type: CustomerResponseDto })
  liftRestriction(
    @Param('id') id: string,
    @Body() body: LiftRestrictionDto,
    @CurrentActor() actor: Actor,
  ): Promise<CustomerView> {
    return this.customers.liftRestriction(id, body.reason, actor);
  }

  @Put(':id/legal-hold')
  @ApiOperation({
    summary: 'Place or replace a legal hold (GDPR Art 17(3)(e)): erasure answers 409 while it is in force',
  })
  @ApiOkResponse({ type: CustomerResponseDto })
  placeLegalHold(
    @Param('id') id: string,
    @Body() body: LegalHoldDto,
    @CurrentActor() actor: Actor,
  ): Promise<CustomerView> {
    return this.customers.placeLegalHold(id, body, actor);
  }

  @Delete(':id/legal-hold')
  @ApiOperation({ summary: 'Release the legal hold (409 when there is none)' })
  @ApiOkResponse({ type: CustomerResponseDto })
  releaseLegalHold(@Param('id') id: string, @CurrentActor() actor: Actor): Promise<CustomerView> {
    return this.customers.releaseLegalHold(id, actor);
  }

  /** Returns the identity code in clear: the data protection officer (and admin) alone, every call audited. */
  @Get(':id/export')
  @Roles('dpo')
  @AuditReads()
  @ReadsPersonalData({ param: 'id' })
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'The data-subject export from all four services (503 rather than partial)' })
  export(@Param('id') id: string): Promise<DataSubjectExport> {
    return this.exports.export(id);
  }
}
