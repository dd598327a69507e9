import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { TOPICS } from '@kielto/contracts';
import { EventBatch } from '@kielto/platform';
import { SuppressionProjector } from '../state/suppression-projector.service';

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
}
