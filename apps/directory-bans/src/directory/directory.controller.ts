import { Controller, Get, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Readable } from 'node:stream';
import { Roles } from '@kielto/platform';
import { DirectoryService } from './directory.service';
import { ExportQueryDto } from './dto/export-query.dto';

export const NDJSON_CONTENT_TYPE = 'application/x-ndjson';

@ApiTags('directory')
@ApiBearerAuth()
@Controller('v1/directory')
export class DirectoryController {
  constructor(private readonly directory: DirectoryService) {}

  /** Publishable listings for one outlet, bans applied, one JSON object a line; streamed with back-pressure. */
  @Get('export')
  @Roles('staff')
  @ApiProduces(NDJSON_CONTENT_TYPE)
  @ApiOkResponse({ description: 'One {customerId, customerNumber, name?, phone?, address?} per line' })
  async export(@Query() query: ExportQueryDto, @Res() reply: FastifyReply): Promise<void> {
    const chunks = this.directory.export(query.outlet);
    // Read the first chunk before answering: a database failure then is a problem response, not a cut-off 200.
    const first = await chunks.next();
    // One chunk buffered at most: the generator is pulled only when the socket has taken the previous one.
    const body = Readable.from(resume(first, chunks), { objectMode: true, highWaterMark: 1 });
    void reply.header('cache-control', 'no-store').type(NDJSON_CONTENT_TYPE).send(body);
  }
}

async function* resume(first: IteratorResult<string>, rest: AsyncGenerator<string>): AsyncGenerator<string> {
  try {
    if (first.done) return;
    yield first.value;
    yield* rest;
  } finally {
    // Closes the cursors also when the client goes away before the end.
    await rest.return(undefined);
  }
}
