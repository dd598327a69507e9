import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Readable } from 'node:stream';
import { Model } from 'mongoose';
import type { PopulationRegisterBan } from '@kielto/contracts';
import {
  Actor,
  FieldError,
  ImportBatchDoc,
  ImportBatches,
  ImportBatchResult,
  importRejected,
  mapLimited,
  readImportRows,
  RepeatedRows,
} from '@kielto/platform';
import { INVALID_CUSTOMER_NUMBER, normaliseCustomerNumber } from '../customer-number';
import { CustomersService } from '../customers.service';
import { ImportPopulationRegisterBansDto } from '../dto/import-population-register-bans.dto';

export const POPULATION_REGISTER_BAN_IMPORT_BATCHES = 'population_register_ban_import_batches';
/** Rows per request, as every import: a batch is validated whole in memory before anything is written. */
export const MAX_POPULATION_REGISTER_BAN_IMPORT_ROWS = 10_000;
const MAX_IMPORT_BYTES = 4 * 1024 * 1024;
/** Customers looked up or written at once. */
const CONCURRENCY = 16;

interface Row {
  line: number;
  customerId: string;
  bans: PopulationRegisterBan[];
}

/**
 * DVV refresh files: the population-register bans of customers named by customer number. Each row is applied
 * exactly as `PATCH /v1/customers/:id {populationRegisterBans}` applies it (CustomersService.update: the same
 * revision, rectification record and `customer.updated` event, so suppression and the directory follow). A row
 * whose customer holds those bans already is present; writing it again would change nothing anyway.
 */
@Injectable()
export class PopulationRegisterBanImportService {
  private readonly batches: ImportBatches;

  constructor(
    private readonly customers: CustomersService,
    @InjectModel(POPULATION_REGISTER_BAN_IMPORT_BATCHES) model: Model<ImportBatchDoc>,
  ) {
    this.batches = new ImportBatches(model);
  }

  async import(body: Readable, actor: Actor, attempt?: string, dryRun = false): Promise<ImportBatchResult> {
    const { rows: read, digest } = await readImportRows(
      body,
      ImportPopulationRegisterBansDto,
      { maxRows: MAX_POPULATION_REGISTER_BAN_IMPORT_ROWS, maxBytes: MAX_IMPORT_BYTES },
      rowErrors,
    );
    const rows = await this.resolve(read);
    return this.batches.run({
      digest,
      attempt,
      dryRun,
      rows,
      concurrency: CONCURRENCY,
      isPresent: async (row) => sameBans((await this.customers.get(row.customerId)).populationRegisterBans, row.bans),
      // The single write's path; with nothing to change it answers once the customer's last change is on Kafka.
      write: (row) => this.apply(row, actor),
      confirm: (row) => this.apply(row, actor),
    });
  }

  private async apply(row: Row, actor: Actor): Promise<void> {
    await this.customers.update(row.customerId, { populationRegisterBans: row.bans }, actor);
  }

  /** The customer of each row, by number as `GET /v1/customers?customerNumber=` finds it; else the batch is refused. */
  private async resolve(read: { line: number; value: ImportPopulationRegisterBansDto }[]): Promise<Row[]> {
    const errors: FieldError[] = [];
    const numbers = new RepeatedRows(errors, 'customerNumber', 'customerNumber');
    for (const { line, value } of read) numbers.note(normaliseCustomerNumber(value.customerNumber)!, line);
    const found = await mapLimited(read, CONCURRENCY, ({ value }) =>
      this.customers.find({ customerNumber: value.customerNumber }),
    );
    const rows: Row[] = [];
    read.forEach(({ line, value }, i) => {
      const customer = found[i][0];
      if (customer === undefined)
        errors.push({ line, field: 'customerNumber', message: 'no customer has this customerNumber' });
      else rows.push({ line, customerId: customer.id, bans: [...value.populationRegisterBans] });
    });
    if (errors.length > 0) throw importRejected(errors);
    return rows;
  }
}

function rowErrors(value: ImportPopulationRegisterBansDto): FieldError[] {
  const errors: FieldError[] = [];
  if (normaliseCustomerNumber(value.customerNumber) === null)
    errors.push({ field: 'customerNumber', message: INVALID_CUSTOMER_NUMBER });
  if (value.populationRegisterBans === undefined)
    errors.push({ field: 'populationRegisterBans', message: 'populationRegisterBans is required ([] lifts the bans)' });
  return errors;
}

const sameBans = (held: readonly string[] | undefined, row: readonly string[]) =>
  [...(held ?? [])].sort().join(',') === [...row].sort().join(',');
