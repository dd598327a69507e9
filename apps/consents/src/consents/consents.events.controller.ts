import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import {
  ContactPointHashV1,
  CUSTOMER_EVENT_TYPES,
  isEventOfTypes,
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
    // States are applied together up to the next erasure, which must see the ones before it applied.
    let states: Parameters<CustomerDirectoryRepository['apply']>[0][number][] = [];
    const flush = async () => {
      await this.directory.apply(states);
      states = [];
    };
    for (const event of batch.events) {
      // Only customer events are on this topic (parseEvent checked each type; another family is a bug upstream).
      if (!isEventOfTypes(event, CUSTOMER_EVENT_TYPES)) continue;
      switch (event.type) {
        case CUSTOMER_EVENT_TYPES.erased:
          await flush();
          await this.erasure.eraseCustomer(event);
          break;
        case CUSTOMER_EVENT_TYPES.created:
        case CUSTOMER_EVENT_TYPES.updated:
        case CUSTOMER_EVENT_TYPES.restricted:
        case CUSTOMER_EVENT_TYPES.restrictionLifted: {
          const state = event.data;
          const since = Date.parse(state.since);
          const holding = (cp: ContactPointHashV1 | FormerContactPointV1, until?: string): Holding => ({
            key: subjectKey({ type: cp.kind, key: cp.hash }),
            owner: cp.owner,
            ...(cp.person !== undefined ? { person: cp.person } : {}),
            from: cp.from ? Date.parse(cp.from) : since,
            ...(until !== undefined ? { until: Date.parse(until) } : {}),
          });
          states.push({
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
      }
    }
    await flush();
  }
}
