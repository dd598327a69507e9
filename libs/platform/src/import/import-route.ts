import { applyDecorators, HttpCode, Post, Type } from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiHeader,
  ApiOperation,
  ApiProperty,
  ApiQuery,
  getSchemaPath,
} from '@nestjs/swagger';
import { fieldProblem } from '../http/problem';
import { NDJSON } from './ndjson-body';
import type { ImportBatchResult } from './import-batches';

export class ImportBatchResultDto implements ImportBatchResult {
  @ApiProperty({ description: 'Rows in the batch' }) rows!: number;
  @ApiProperty({ description: 'Rows this batch wrote (also those an interrupted attempt of the same batch wrote)' })
  imported!: number;
  @ApiProperty({ description: 'Rows held already before this batch first arrived (skipped)' }) alreadyPresent!: number;
  @ApiProperty({ description: 'SHA-256 of the rows: the same rows sent again are the same batch' }) batch!: string;
  @ApiProperty({ description: 'The batch had been completed before; nothing was written now' }) replayed!: boolean;
}

/**
 * `POST <controller>/import` (or `path`): an NDJSON bulk route, documented alike everywhere. Each line is one `row` as the single
 * write takes it; the batch is validated whole first (400 naming line and field, nothing written), then written
 * all-or-nothing: idempotent by its digest, so a batch that failed part-way (503, lost answer) is completed by
 * sending it again, and a completed one sent again writes nothing.
 */
export function ImportRoute(summary: string, row: Type<unknown>, maxRows: number, path = 'import'): MethodDecorator {
  return applyDecorators(
    Post(path),
    HttpCode(201),
    ApiOperation({
      summary,
      description:
        `NDJSON (${NDJSON}), one ${row.name.replace(/Dto$/, '')} per line, at most ${maxRows} lines. Every line is ` +
        'validated before anything is written: any bad line → 400 problem with `errors: [{line, field, message}]` and ' +
        'nothing written. The batch is then written all-or-nothing and idempotently (identified by the SHA-256 of its ' +
        'rows): after a 503 or a lost answer send the same batch again; a completed batch sent again writes nothing ' +
        '(`replayed: true`). Events are those of the single write.',
    }),
    ApiHeader({
      name: IDEMPOTENCY_KEY,
      required: false,
      description:
        'A key per batch and run (e.g. `<run id>:<batch number>`): a retry of the batch with the same key counts the ' +
        'rows its earlier attempts wrote as imported; the same rows under a new key (the file run again) as present',
    }),
    ApiQuery({
      name: 'dryRun',
      required: false,
      type: Boolean,
      description: 'Validate the batch only (the same checks, line by line); write nothing',
    }),
    ApiExtraModels(row),
    ApiConsumes(NDJSON),
    ApiBody({
      description: `One JSON object per line, each a ${getSchemaPath(row)}`,
      schema: { type: 'string', example: '{…}\n{…}\n' },
    }),
    ApiCreatedResponse({ type: ImportBatchResultDto }),
  );
}

/** The header naming an import batch's attempt (see ImportPlan.attempt). */
export const IDEMPOTENCY_KEY = 'idempotency-key';

/** The Idempotency-Key of a bulk request, when given: 1-200 printable ASCII characters, else a 400 naming it. */
export function idempotencyKey(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^[\x21-\x7e]{1,200}$/.test(value))
    throw fieldProblem(IDEMPOTENCY_KEY, 'Idempotency-Key must be 1-200 printable ASCII characters');
  return value;
}

/** The `dryRun` query flag of a bulk route. */
export const isDryRun = (value: unknown): boolean => value === 'true' || value === '1';
