import { Body, Controller, Get, Header, HttpCode, Logger, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOkResponse, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { pipeline } from 'node:stream';
import { CHANNELS, PRODUCTS, PURPOSES } from '@kielto/contracts';
import {
  Actor,
  CurrentActor,
  FieldError,
  NDJSON,
  ndjsonStream,
  PROBLEM_CONTENT_TYPE,
  problem,
  Roles,
} from '@kielto/platform';
import { FreshnessService } from '../freshness/freshness.service';
import { RegisterFreshness } from '../freshness/register-freshness';
import { CheckService, validationProblem } from './check.service';
import { CheckStream } from './check-stream';
import { readChannel, readProduct, readPurpose } from './contact-reader';
import { BulkCheckDto, BulkCheckResponseDto, DecisionDto } from './dto/check-query.dto';

export const AS_OF_HEADER = 'x-kielto-as-of';

@ApiTags('suppression')
@ApiBearerAuth()
@Controller('v1/suppression')
export class CheckController {
  private readonly logger = new Logger(CheckController.name);

  constructor(
    private readonly checks: CheckService,
    private readonly freshness: FreshnessService,
    private readonly registers: RegisterFreshness,
  ) {}

  /** May this contact be marketed to on this channel for this purpose? Exactly one identifier. */
  @Get('check')
  @Roles('staff', 'marketing', 'partner', 'dpo')
  @ApiQuery({ name: 'channel', enum: CHANNELS })
  @ApiQuery({ name: 'purpose', enum: PURPOSES })
  @ApiQuery({ name: 'product', required: false, enum: PRODUCTS, description: 'the product marketed (R10)' })
  @ApiQuery({ name: 'email', required: false })
  @ApiQuery({ name: 'phone', required: false })
  @ApiQuery({ name: 'customerId', required: false })
  @ApiQuery({ name: 'emailHash', required: false, description: 'HMAC-SHA256 hex of the normalised address' })
  @ApiQuery({ name: 'phoneHash', required: false, description: 'HMAC-SHA256 hex of the E.164 number' })
  @ApiQuery({ name: 'name', required: false, description: 'postal identity: name, street, postalCode (city?)' })
  @ApiQuery({ name: 'street', required: false })
  @ApiQuery({ name: 'postalCode', required: false })
  @ApiQuery({ name: 'city', required: false })
  @ApiOkResponse({ type: DecisionDto })
  async check(@Query() query: Record<string, unknown>, @CurrentActor() actor: Actor) {
    // Only requests the fast path (fast-check.ts) leaves to Nest come here; it confirms a stale watermark likewise.
    await this.freshness.untilFresh();
    return this.checks.checkQuery(query, actor);
  }

  /** Up to 10 000 contacts (more → 413); results in input order, each with its ref. */
  @Post('check')
  @HttpCode(200)
  @Roles('staff', 'marketing', 'partner')
  @Header('content-type', 'application/json; charset=utf-8')
  @ApiBody({ type: BulkCheckDto })
  @ApiOkResponse({ type: BulkCheckResponseDto })
  async bulk(@Body() body: unknown, @CurrentActor() actor: Actor): Promise<string> {
    const outcome = await this.checks.checkBulkWhenFresh(this.checks.readBulk(body, actor));
    return `{"results":[${outcome.results.join(',')}],"asOf":"${new Date(outcome.asOf).toISOString()}"}`;
  }

  /**
   * NDJSON in (`{ref?, email?|phone?|customerId?|emailHash?|phoneHash?}` a line), NDJSON out: one result
   * `{ref, decision, reasons}` per non-blank line in order, or `{ref?, line, error}` for a line that cannot
   * be checked. Freshness is checked at the start (503) and before each chunk of input: a list turning stale ends
   * the answer with a `stale-suppression-state` error line. The starting watermark is in the `X-Kielto-As-Of` header.
   */
  @Post('check/stream')
  @Roles('staff', 'marketing', 'partner')
  @ApiQuery({ name: 'channel', enum: CHANNELS })
  @ApiQuery({ name: 'purpose', enum: PURPOSES })
  @ApiQuery({ name: 'product', required: false, enum: PRODUCTS, description: 'the product marketed (R10)' })
  @ApiConsumes(NDJSON)
  @ApiProduces(NDJSON)
  @ApiBody({ description: 'one contact per line', schema: { type: 'string' } })
  async stream(
    @Query() query: Record<string, unknown>,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
    @CurrentActor() actor: Actor,
  ): Promise<void> {
    const errors: FieldError[] = [];
    for (const key in query) {
      if (key !== 'channel' && key !== 'purpose' && key !== 'product')
        errors.push({ field: key, message: `property ${key} should not exist` });
    }
    const channel = readChannel(query.channel, errors);
    const purpose = readPurpose(query.purpose, errors);
    const product = readProduct(query.product, errors);
    if (errors.length > 0 || !channel || !purpose) throw validationProblem(errors);
    const body = ndjsonStream(request.body);
    if (request.body !== undefined && body === undefined) {
      const unsupported = problem(
        415,
        'Send the contacts as application/x-ndjson, one JSON object per line',
        'unsupported-media-type',
        [{ field: 'content-type', message: `content-type must be ${NDJSON}` }],
      );
      void reply.status(415).type(PROBLEM_CONTENT_TYPE).send(unsupported);
      return;
    }
    await this.freshness.untilFresh();
    const asOf = this.freshness.assertFresh();
    // Rows cannot be refused one by one once the answer has begun: an overdue register refuses the whole stream.
    this.registers.assertCurrent(channel);
    const partner = actor.role === 'partner';
    const decision = { channel, purpose, product };
    const answers = new CheckStream({
      hashedOnly: partner,
      decide: (contact, now) => this.checks.decide(contact, decision, now, partner, false, true),
      // As at the start: a watermark older than the bound is put to Kafka before the stream is ended as stale.
      isFresh: () => this.freshness.isFresh || this.freshness.untilFresh().then(() => this.freshness.isFresh),
    });
    if (body === undefined) answers.end();
    else {
      pipeline(body, answers, (error) => {
        if (error) this.logger.warn({ err: error, lines: answers.stats.lines }, 'check stream ended early');
      });
    }
    void reply
      .status(200)
      .header('content-type', `${NDJSON}; charset=utf-8`)
      .header('cache-control', 'no-store')
      .header(AS_OF_HEADER, new Date(asOf).toISOString())
      .send(answers);
  }
}
