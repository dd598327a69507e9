import { Controller, Get, Headers, Param, Put, Req } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { RegisterName, REGISTERS } from '@kielto/contracts';
import {
  Actor,
  CurrentActor,
  NDJSON,
  ndjsonStream,
  ProblemException,
  RequestWithAuditDetails,
  Roles,
} from '@kielto/platform';
import { SuppressionState } from '../engine';
import { RegisterFreshness } from '../freshness/register-freshness';
import { RegisterSnapshotResultDto, RegisterStatusDto } from './dto/register-responses.dto';
import { RegisterSnapshotResult, RegistersService } from './registers.service';

export const REGISTERS_PATH = '/v1/suppression/registers/';
export const CSV = 'text/csv';

/** ASML's Robinson registers, kept in sync as full snapshots (docs/CONTRACT.md §3.9, this project's extension). */
@ApiTags('suppression registers')
@ApiBearerAuth()
@Controller('v1/suppression/registers')
export class RegistersController {
  constructor(
    private readonly registers: RegistersService,
    private readonly freshness: RegisterFreshness,
    private readonly state: SuppressionState,
  ) {}

  /**
   * Imports a full snapshot of a register: afterwards the register holds exactly its rows (new rows suppress from
   * now on, rows missing from it no longer do, unchanged rows keep their first-seen date). NDJSON (`{phone}` for
   * asml-phone; `{name, street, postalCode, city?}` for asml-post) or CSV with those header names, streamed. 409 for
   * a snapshot older than the register's; a malformed row: 400 listing the rows by line, nothing imported. Importing
   * the same file again changes nothing.
   */
  @Put(':register')
  @Roles('staff')
  @ApiOperation({ summary: 'Import a full snapshot of an ASML register (asml-phone, asml-post)' })
  @ApiOkResponse({ type: RegisterSnapshotResultDto })
  @ApiParam({ name: 'register', enum: REGISTERS })
  @ApiHeader({ name: 'X-Register-Date', required: true, description: 'The date of the snapshot, YYYY-MM-DD' })
  @ApiConsumes(NDJSON, CSV)
  @ApiBody({ description: 'one row per line (NDJSON object, or CSV after a header line)', schema: { type: 'string' } })
  async importSnapshot(
    @Param('register') register: string,
    @Headers('x-register-date') date: unknown,
    @Req() request: FastifyRequest,
    @CurrentActor() actor: Actor,
  ): Promise<RegisterSnapshotResult> {
    const name = readRegister(register);
    const registerDate = RegistersService.readDate(date);
    const body = ndjsonStream(request.body);
    const type = String(request.headers['content-type'] ?? '')
      .split(';')[0]
      .trim()
      .toLowerCase();
    if (body === undefined || (type !== NDJSON && type !== CSV)) {
      throw new ProblemException(415, 'unsupported-media-type', `Send the snapshot as ${NDJSON} or ${CSV}`, [
        { field: 'content-type', message: `content-type must be ${NDJSON} or ${CSV}` },
      ]);
    }
    const result = await this.registers.importSnapshot({
      register: name,
      registerDate,
      body,
      format: type === CSV ? 'csv' : 'ndjson',
      actor,
    });
    (request as RequestWithAuditDetails).auditDetails = { ...result };
    return result;
  }

  /** Each register's newest snapshot date, age, rows and whether it is overdue (`KIELTO_REGISTER_MAX_AGE_DAYS`). */
  @Get()
  @Roles('staff')
  @ApiOperation({ summary: "Each register's newest snapshot, its age and rows, and whether it is overdue" })
  @ApiOkResponse({ type: RegisterStatusDto, isArray: true })
  list(): RegisterStatusDto[] {
    return this.freshness.status().map((s) => ({ ...s, rows: this.state.register(s.register).size }));
  }
}

/** A register name from the path: 404 for one that does not exist. */
function readRegister(value: string): RegisterName {
  if ((REGISTERS as readonly string[]).includes(value)) return value as RegisterName;
  throw new ProblemException(404, 'not-found', `No register ${value}; registers: ${REGISTERS.join(', ')}`);
}
