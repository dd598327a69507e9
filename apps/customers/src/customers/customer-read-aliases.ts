import { Injectable, OnModuleInit } from '@nestjs/common';
import { SubjectReadGatherer } from '@kielto/platform';
import { CustomersService } from './customers.service';

/**
 * `GET /v1/audit?subject=<customerId>` also answers the lookups of the customer's own e-mail addresses and phone
 * numbers (filed under `email:<hash>`/`phone:<hash>`, in every service) made while the customer held them.
 */
@Injectable()
export class CustomerReadAliases implements OnModuleInit {
  constructor(
    private readonly reads: SubjectReadGatherer,
    private readonly customers: CustomersService,
  ) {}

  onModuleInit(): void {
    this.reads.registerAliases(async (subject) =>
      (await this.customers.ownIdentifierPeriods(subject)).map((p) => ({
        subject: p.subject,
        from: new Date(p.from),
        ...(p.until !== undefined ? { until: new Date(p.until) } : {}),
      })),
    );
  }
}
