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
  ImportRowClaimDoc,
  importRejected,
  readImportRows,
  RepeatedRows,
} from '@kielto/platform';
import { INVALID_CUSTOMER_NUMBER, normaliseCustomerNumber } from '../customer-number';
import { CustomerStore } from '../customer-store';
import { CustomersRepository } from '../customers.repository';
import { CustomersService, kindRuleErrors } from '../customers.service';
import { ImportCustomerDto } from '../dto/import-customer.dto';

export const CUSTOMER_IMPORT_BATCHES = 'customer_import_batches';
/** The imported customers' claims (ImportBatches.claim), by customer id. */
export const CUSTOMER_IMPORT_ROWS = 'customer_import_rows';
/** Rows per request: a batch is validated whole in memory before anything is written. */
export const MAX_CUSTOMER_IMPORT_ROWS = 10_000;
const MAX_IMPORT_BYTES = 64 * 1024 * 1024;
/** Customers read (present?) or confirmed at once; the writes go in few bulk commands (CustomersService.createMany). */
const CONCURRENCY = 32;

interface Row {
  line: number;
  id: string;
  value: ImportCustomerDto;
  customerNumber?: string;
}

/**
 * Loading a legacy register: each row is created exactly as `POST /v1/customers` creates a customer (the same
 * validation, sealing of the identity code, keyed hashes, lookup slots, revision and event), under an id derived
 * from its legacy key. Present is decided by the customer's first revision, read by `_id`.
 */
@Injectable()
export class CustomerImportService {
  private readonly batches: ImportBatches;

  constructor(
    private readonly customers: CustomersService,
    private readonly repository: CustomersRepository,
    private readonly store: CustomerStore,
    @InjectModel(CUSTOMER_IMPORT_BATCHES) model: Model<ImportBatchDoc>,
    @InjectModel(CUSTOMER_IMPORT_ROWS) claims: Model<ImportRowClaimDoc>,
  ) {
    this.batches = new ImportBatches(model, claims);
  }

  async import(body: Readable, actor: Actor, attempt?: string, dryRun = false): Promise<ImportBatchResult> {
    const now = Date.now();
    const { rows: read, digest } = await readImportRows(
      body,
      ImportCustomerDto,
      { maxRows: MAX_CUSTOMER_IMPORT_ROWS, maxBytes: MAX_IMPORT_BYTES },
      (value) => rowErrors(value, now),
    );
    const rows: Row[] = read.map(({ line, value }) => ({
      line,
      id: importedCustomerId(value.ref),
      value,
      ...(value.customerNumber ? { customerNumber: normaliseCustomerNumber(value.customerNumber)! } : {}),
    }));
    await this.assertUnique(rows);
    return this.batches.run({
      digest,
      attempt,
      dryRun,
      rows,
      concurrency: CONCURRENCY,
      // Imported ids derive from the legacy key; single writes draw random ones, so only imports write these.
      rowKey: (row) => row.id,
      isPresent: async (row) => (await this.repository.findRevision(row.id, 1)) !== undefined,
      // Every step of a create is idempotent by the customer's id, so a resumed batch creates the rest the same way.
      writeMany: async (absent) => {
        await this.customers.createMany(
          absent.map((row) => {
            const { ref: _ref, customerNumber: _number, customerSince, ...input } = row.value;
            return {
              input,
              imported: {
                id: row.id,
                ...(row.customerNumber ? { customerNumber: row.customerNumber } : {}),
                ...(customerSince ? { since: new Date(customerSince).toISOString() } : {}),
              },
            };
          }),
          actor,
        );
      },
      confirm: (row) => this.store.finishCreation(row.id),
    });
  }

  /** A legacy key or customer number twice in the batch, or a number another customer holds: the batch is refused. */
  private async assertUnique(rows: Row[]): Promise<void> {
    const errors: FieldError[] = [];
    const refs = new RepeatedRows(errors, 'ref', 'ref');
    const numbers = new RepeatedRows(errors, 'customerNumber', 'customerNumber');
    for (const row of rows) {
      refs.note(row.value.ref.trim(), row.line);
      if (row.customerNumber) numbers.note(row.customerNumber, row.line);
    }
    const claimants = await Promise.all(
      rows.map((row) =>
        row.customerNumber ? this.repository.numberClaimant(row.customerNumber) : Promise.resolve(undefined),
      ),
    );
    rows.forEach((row, i) => {
      if (claimants[i] !== undefined && claimants[i] !== row.id)
        errors.push({ line: row.line, field: 'customerNumber', message: 'customerNumber belongs to another customer' });
    });
    if (errors.length > 0) throw importRejected(errors);
  }
}

/** The rules of a row beyond its DTO: the kind rules of every create, and what only an import carries. */
function rowErrors(value: ImportCustomerDto, now: number): FieldError[] {
  const errors = kindRuleErrors(value.kind, value);
  if (value.customerNumber !== undefined && normaliseCustomerNumber(value.customerNumber) === null)
    errors.push({ field: 'customerNumber', message: INVALID_CUSTOMER_NUMBER });
  if (value.customerSince !== undefined && Date.parse(value.customerSince) > now)
    errors.push({ field: 'customerSince', message: 'customerSince must not be in the future' });
  return errors;
}
