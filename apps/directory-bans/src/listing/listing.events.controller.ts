import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { TOPICS } from '@kielto/contracts';
import { EventBatch } from '@kielto/platform';
import { ListingService } from './listing.service';

@Controller()
export class ListingEventsController {
  constructor(private readonly listings: ListingService) {}

  @EventPattern(TOPICS.customers)
  async customers(@Payload() batch: EventBatch): Promise<void> {
    await this.listings.project(batch.events);
  }
}
