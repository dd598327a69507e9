import { Injectable, OnModuleInit } from '@nestjs/common';
import { CloudEventV1, TOPICS } from '@kielto/contracts';
import { EventLog } from '@kielto/platform';
import { banStateOf } from './ban-history';
import { BansRepository } from './bans.repository';

/**
 * Keeps the bans read model in step with the service's own event log. The event log runs it right after each
 * append and again when the relay publishes the event, so it must be (and is) idempotent.
 */
@Injectable()
export class BansProjector implements OnModuleInit {
  constructor(
    private readonly eventLog: EventLog,
    private readonly repository: BansRepository,
  ) {}

  onModuleInit(): void {
    this.eventLog.registerProjector(TOPICS.directoryBans, (event) => this.project(event));
  }

  async project(event: CloudEventV1): Promise<void> {
    const state = banStateOf(event);
    if (state) await this.repository.apply(state);
  }
}
