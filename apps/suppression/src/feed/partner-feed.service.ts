import { Injectable } from '@nestjs/common';
import { TOPICS } from '@kielto/contracts';
import { KafkaService } from '@kielto/platform';
import { AffectedIdentifiers, SuppressionState } from '../state/suppression-state';
import { feedValue } from './partner-feed';

/** Messages per produce request: keeps each record batch well under the broker's 1 MB default. */
const SEND_CHUNK = 1000;

/**
 * Publishes the compacted partner feed `kielto.suppression.v1`: key = the identifier's keyed hash, value =
 * its current explicit suppressions, or a tombstone when it has none. No other personal data leaves.
 *
 * Every instance publishes what it projects. Values are a pure function of the state, so two instances
 * writing the same key write the same value and compaction keeps one of them: duplicates are harmless, and
 * no leader election is needed. The projector calls this before its batch handler returns, so the source
 * offsets are committed only after the feed was written (at-least-once, never lost).
 */
@Injectable()
export class PartnerFeedService {
  published = 0;

  constructor(
    private readonly state: SuppressionState,
    private readonly kafka: KafkaService,
  ) {}

  async publish(affected: AffectedIdentifiers): Promise<void> {
    if (affected.size === 0) return;
    const topic = this.kafka.topic(TOPICS.suppression);
    let messages: { key: string; value: string | null }[] = [];
    for (const [hash, kind] of affected) {
      const value = feedValue(kind, this.state.factsForIdentifier(kind, hash));
      messages.push({ key: hash, value: value === null ? null : JSON.stringify(value) });
      if (messages.length === SEND_CHUNK) {
        await this.kafka.producer.send({ topic, acks: -1, messages });
        this.published += messages.length;
        messages = [];
      }
    }
    if (messages.length > 0) {
      await this.kafka.producer.send({ topic, acks: -1, messages });
      this.published += messages.length;
    }
  }
}
