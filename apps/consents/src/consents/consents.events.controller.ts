import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import {
  CloudEventV1,
  ContactPointHashV1,
  CUSTOMER_EVENT_TYPES,
  CustomerErasedV1,
  CustomerStateV1,
  FormerContactPointV1,
  subjectKey,
  TOPICS,
} from '@kielto/contracts';
import { EventBatch } from '@kielto/platform';
import { CustomerDirectoryRepository, Holding } from './customer-directory.repository';
import { LedgerErasureService } from './ledger-erasure.service';

/** Customers' events: which identifiers belong to whom (for merged ledgers), and erasure. */
@Controller()
export class ConsentsEventsController {
  constructor(
    private readonly directory: CustomerDirectoryRepository,
    private readonly erasure: LedgerErasureService,
  ) {}

  @EventPattern(TOPICS.customers)
  async customers(@Payload() batch: EventBatch): Promise<void> {
    for (const event of batch.events) {
      switch (event.type) {
        case CUSTOMER_EVENT_TYPES.erased:
          await this.erasure.eraseCustomer(event as CloudEventV1<CustomerErasedV1>);
          break;
        case CUSTOMER_EVENT_TYPES.created:
        case CUSTOMER_EVENT_TYPES.updated:
        case CUSTOMER_EVENT_TYPES.restricted:
        case CUSTOMER_EVENT_TYPES.restrictionLifted: {
          const state = event.data as CustomerStateV1;
          const since = Date.parse(state.since);
          const holding = (cp: ContactPointHashV1 | FormerContactPointV1, until?: string): Holding => ({
            key: subjectKey({ type: cp.kind, key: cp.hash }),
            owner: cp.owner,
            ...(cp.person !== undefined ? { person: cp.person } : {}),
            from: cp.from ? Date.parse(cp.from) : since,
            ...(until !== undefined ? { until: Date.parse(until) } : {}),
          });
          await this.directory.apply({
            customerId: state.customerId,
            sequence: event.sequence,
            subjects: [...new Set(state.contactPoints.map((cp) => subjectKey({ type: cp.kind, key: cp.hash })))],
            holdings: [
              ...state.contactPoints.map((cp) => holding(cp)),
              ...(state.formerContactPoints ?? []).map((fp) => holding(fp, fp.until)),
            ],
            kind: state.kind,
            activeContract: state.activeContract,
            language: state.language,
          });
          break;
        }
        default:
          // Other customer facts (added later to the contract) do not concern the ledger.
          break;
      }
    }
  }
}
