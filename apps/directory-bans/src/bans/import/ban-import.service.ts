import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Readable } from 'node:stream';
import { Model } from 'mongoose';
import { importedCustomerId } from '@kielto/contracts';
import {
  Actor,
  FieldError,
  ImportBatchDoc,
  ImportBatches,
  ImportBatchResult,
  importRejected,
  readImportRows,
  RepeatedRows,
} from '@kielto/platform';
import { sameBan } from '../ban-history';
import { BansRepository } from '../bans.repository';
import { BansService, wantedBan } from '../bans.service';
import { ImportDirectoryBanDto } from '../dto/import-directory-ban.dto';

export const BAN_IMPORT_BATCHES = 'ban_import_batches';
export const MAX_BAN_IMPORT_ROWS = 10_000;
const MAX_IMPORT_BYTES = 16 * 1024 * 1024;
const CONCURRENCY = 32;

interface Row {
  line: number;
  customerId: string;
  value: ImportDirectoryBanDto;
}

/**
 * Directory bans from a legacy register: each row is set exactly as `PUT /v1/directory-bans/:customerId` sets it.
 * Present means the same ban is in force already (the read model, by `_id`); setting it again records nothing.
 */
@Injectable()
export class BanImportService {
  private readonly batches: ImportBatches;

  constructor(
    private readonly bans: BansService,
    private readonly repository: BansRepository,
    @InjectModel(BAN_IMPORT_BATCHES) model: Model<ImportBatchDoc>,
  ) {
    this.batches = new ImportBatches(model);
  }

  async import(body: Readable, actor: Actor, attempt?: string, dryRun = false): Promise<ImportBatchResult> {
    const { rows: read, digest } = await readImportRows(
      body,
      ImportDirectoryBanDto,
      { maxRows: MAX_BAN_IMPORT_ROWS, maxBytes: MAX_IMPORT_BYTES },
      rowErrors,
    );
    const rows: Row[] = read.map(({ line, value }) => ({
      line,
      customerId: value.customerId?.toLowerCase() ?? importedCustomerId(value.customerRef!),
      value,
    }));
    const errors: FieldError[] = [];
    const customers = new RepeatedRows(errors, 'customerId', 'the customer');
    for (const row of rows) customers.note(row.customerId, row.line);
    if (errors.length > 0) throw importRejected(errors);
    const set = (row: Row) => {
      const { customerId: _id, customerRef: _ref, ...ban } = row.value;
      return this.bans.set(row.customerId, ban, actor);
    };
    return this.batches.run({
      digest,
      attempt,
      dryRun,
      rows,
      concurrency: CONCURRENCY,
      isPresent: async (row) => {
        const current = await this.repository.inForce(row.customerId);
        const wanted = wantedBan(row.value);
        return current !== undefined && !('errors' in wanted) && sameBan(current, wanted);
      },
      write: async (row) => void (await set(row)),
      // Setting the same ban again records nothing and returns once the customer's ban events are on Kafka.
      confirm: async (row) => void (await set(row)),
    });
  }
}

/** The ban rules of the single write, and exactly one way of naming the customer. */
function rowErrors(value: ImportDirectoryBanDto): FieldError[] {
  const errors: FieldError[] = [];
  if ((value.customerId === undefined) === (value.customerRef === undefined))
    errors.push({ field: 'customerId', message: 'exactly one of customerId or customerRef is required' });
  const wanted = wantedBan(value);
  if ('errors' in wanted) errors.push(...wanted.errors);
  return errors;
}
