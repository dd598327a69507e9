import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { SUPPRESSION_ENTRIES_TOPIC, TOPICS } from '@kielto/contracts';
import { EventBatch } from '@kielto/platform';
import { SuppressionProjector } from '../projection/suppression-projector.service';

/** Every instance consumes every partition of these topics (its own consumer group) into its own store. */
@Controller()
export class SuppressionEventsController {
  constructor(private readonly projector: SuppressionProjector) {}

  @EventPattern(TOPICS.customers)
  async customers(@Payload() batch: EventBatch): Promise<void> {
    await this.projector.project(batch.events);
  }

  @EventPattern(TOPICS.consents)
  async consents(@Payload() batch: EventBatch): Promise<void> {
    await this.projector.project(batch.events);
  }

  @EventPattern(TOPICS.directoryBans)
  async directoryBans(@Payload() batch: EventBatch): Promise<void> {
    await this.projector.project(batch.events);
  }

  /** Staff entries written by any instance (internal topic). */
  @EventPattern(SUPPRESSION_ENTRIES_TOPIC)
  async entries(@Payload() batch: EventBatch): Promise<void> {
    await this.projector.project(batch.events);
  }
}
