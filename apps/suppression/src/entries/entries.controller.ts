import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  Actor,
  CurrentActor,
  IDEMPOTENCY_KEY,
  idempotencyKey,
  NDJSON,
  ndjsonStream,
  PROBLEM_CONTENT_TYPE,
  problem,
  ReadsPersonalData,
  Roles,
} from '@kielto/platform';
import { CreateEntryDto, EntryQueryDto } from './dto/create-entry.dto';
import { EntriesService, EntryView } from './entries.service';

@ApiTags('suppression entries')
@ApiBearerAuth()
@Controller('v1/suppression/entries')
export class EntriesController {
  constructor(private readonly entries: EntriesService) {}

  /** Adds a bounce, complaint, robinson or manual entry; only the identifier's keyed hash is stored. */
  @Post()
  @Roles('staff')
  add(@Body() body: CreateEntryDto, @CurrentActor() actor: Actor): Promise<EntryView> {
    return this.entries.add(body, actor);
  }

  /**
   * The entries of an identifier (`email`, `phone`), or of every identifier of a customer (`customerId`,
   * used by the data-subject export). A JSON array, oldest first.
   */
  @Get()
  @Roles('staff', 'dpo')
  @ReadsPersonalData({ lookup: true })
  list(@Query() query: EntryQueryDto): EntryView[] {
    return this.entries.list(query);
  }

  /**
   * Bulk import (e.g. a Robinson register extract): NDJSON, one `{email?|phone?, channel, reason}` per line.
   * All-or-nothing: every line is validated before anything is written; 400 with `errors: [{line, field,
   * message}]` and nothing imported if any line is invalid, else 201 `{imported, duplicates, errors: []}`.
   */
  @Post('import')
  @Roles('staff')
  @ApiConsumes(NDJSON)
  @ApiBody({ description: 'one entry per line', schema: { type: 'string' } })
  async import(
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
    @CurrentActor() actor: Actor,
  ): Promise<void> {
    const body = ndjsonStream(request.body);
    if (body === undefined) {
      const unsupported = problem(
        415,
        'Send the entries as application/x-ndjson, one JSON object per line',
        'unsupported-media-type',
        [{ field: 'content-type', message: `content-type must be ${NDJSON}` }],
      );
      void reply.status(415).type(PROBLEM_CONTENT_TYPE).send(unsupported);
      return;
    }
    const { status, result } = await this.entries.import(body, actor, idempotencyKey(request.headers[IDEMPOTENCY_KEY]));
    if (status === 201) {
      void reply.status(201).send(result);
      return;
    }
    const failed = problem(
      400,
      result.note,
      'validation',
      result.errors.map(({ field, message }) => ({ field, message })),
    );
    void reply
      .status(400)
      .type(PROBLEM_CONTENT_TYPE)
      .send({
        ...failed,
        imported: result.imported,
        duplicates: result.duplicates,
        errors: result.errors,
        atomic: true,
      });
  }

  @Delete(':id')
  @HttpCode(204)
  @Roles('staff')
  async remove(@Param('id') id: string, @CurrentActor() actor: Actor): Promise<void> {
    await this.entries.remove(id, actor);
  }
}
