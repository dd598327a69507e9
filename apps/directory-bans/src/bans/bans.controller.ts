import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import {
  Actor,
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
import { BansService } from './bans.service';
import { DirectoryBanHistory, DirectoryBanPage, DirectoryBanWithHistory } from './directory-ban.types';
import { CustomerIdParamDto } from './dto/customer-id-param.dto';
import { ListDirectoryBansQueryDto } from './dto/list-directory-bans-query.dto';
import { ImportDirectoryBanDto } from './dto/import-directory-ban.dto';
import { LiftDirectoryBanDto, PutDirectoryBanDto } from './dto/put-directory-ban.dto';
import { BanImportService, MAX_BAN_IMPORT_ROWS } from './import/ban-import.service';

@ApiTags('directory-bans')
@ApiBearerAuth()
@Controller('v1/directory-bans')
export class BansController {
  constructor(
    private readonly bans: BansService,
    private readonly imports: BanImportService,
  ) {}

  /** Directory bans from a legacy register (`kielto import bans FILE`). */
  @ImportRoute('Import directory bans (NDJSON)', ImportDirectoryBanDto, MAX_BAN_IMPORT_ROWS)
  @Roles('staff')
  import(
    @Body() body: unknown,
    @Headers(IDEMPOTENCY_KEY) key: unknown,
    @Query('dryRun') dryRun: unknown,
    @CurrentActor() actor: Actor,
  ): Promise<ImportBatchResult> {
    return this.imports.import(requireNdjson(body), actor, idempotencyKey(key), isDryRun(dryRun));
  }

  /** Replace semantics: always 200 with the ban now in force (a first ban is not a separate 201 case). */
  @Put(':customerId')
  @HttpCode(200)
  @Roles('staff')
  @ApiOkResponse({ description: 'The ban now in force, with its history' })
  set(
    @Param() { customerId }: CustomerIdParamDto,
    @Body() body: PutDirectoryBanDto,
    @CurrentActor() actor: Actor,
  ): Promise<DirectoryBanWithHistory> {
    return this.bans.set(customerId, body, actor);
  }

  @Get()
  @Roles('staff')
  @ReadsPersonalData({ result: true })
  list(@Query() query: ListDirectoryBansQueryDto): Promise<DirectoryBanPage> {
    return this.bans.list(query.limit, query.after);
  }

  @Get(':customerId')
  @Roles('staff', 'dpo')
  @ReadsPersonalData({ param: 'customerId' })
  @ApiOkResponse({ description: 'The ban in force, who set it, why, and the history of changes; 404 when none' })
  get(@Param() { customerId }: CustomerIdParamDto): Promise<DirectoryBanWithHistory> {
    return this.bans.get(customerId);
  }

  @Get(':customerId/history')
  @Roles('staff', 'dpo')
  @ReadsPersonalData({ param: 'customerId' })
  @ApiOkResponse({ description: 'The history of changes, also after the ban was lifted; 404 when there never was one' })
  history(@Param() { customerId }: CustomerIdParamDto): Promise<DirectoryBanHistory> {
    return this.bans.history(customerId);
  }

  @Delete(':customerId')
  @HttpCode(204)
  @Roles('staff')
  @ApiNoContentResponse({ description: 'The ban was lifted; 404 when there was none' })
  async lift(
    @Param() { customerId }: CustomerIdParamDto,
    @Body() body: LiftDirectoryBanDto,
    @CurrentActor() actor: Actor,
  ): Promise<void> {
    await this.bans.lift(customerId, body.reason, actor);
  }
}
