import { Injectable } from '@nestjs/common';
import { TOPICS } from '@kielto/contracts';
import { KafkaService } from '@kielto/platform';
import { IdentifierKind, SuppressionState } from '../engine';
import { feedValue } from './partner-feed';

/**
 * Bytes of keys and values per produce request: every partition's record batch in it stays under the broker's
 * 1 MB default, and a large catch-up goes out in few round trips (the producer is idempotent, one in flight).
 */
const SEND_BYTES = 800_000;
/** Per record, besides key and value (headers, varints, offsets): generous. */
const RECORD_OVERHEAD = 64;

/**
 * Publishes the compacted partner feed `kielto.suppression.v1`: key = the identifier's keyed hash, value =
 * its current explicit suppressions, or a tombstone when it has none. No other personal data leaves.
 *
 * Every instance publishes what it projects. Values are a pure function of the state, so two instances
 * writing the same key write the same value and compaction keeps one of them: duplicates are harmless, and
 * no leader election is needed. Only changed values are sent: the projector notes the value of an identifier
 * (as the topic holds it) the first time a batch touches it since the last publish, and `publish` sends those whose
 * value now differs. The projector publishes before a snapshot saves the positions of the events concerned, so a
 * change is never lost (at-least-once) and an unchanged value is not sent again.
 */
/** Identifiers whose feed value may have changed, each with the value the topic holds for it. */
export type PendingFeed = Map<string, { kind: IdentifierKind; before: string | null }>;

@Injectable()
export class PartnerFeedService {
  published = 0;

  constructor(
    private readonly state: SuppressionState,
    private readonly kafka: KafkaService,
  ) {}

  /** The feed value of an identifier as the state holds it now (null: a tombstone). */
  current(kind: IdentifierKind, hash: string): string | null {
    // Outside registers' rows are not republished: partners take ASML's registers from ASML (docs/CONTRACT.md §3.9).
    const value = feedValue(kind, this.state.factsForIdentifier(kind, hash, false));
    return value === null ? null : JSON.stringify(value);
  }

  /**
   * Sends the value of every pending identifier whose value differs from the one the topic holds. The values are all
   * taken before the first send, from one state: the projector applies batches while a publish is on its way.
   */
  async publish(pending: PendingFeed): Promise<void> {
    if (pending.size === 0) return;
    const topic = this.kafka.topic(TOPICS.suppression);
    const requests: { key: string; value: string | null }[][] = [];
    let messages: { key: string; value: string | null }[] = [];
    let bytes = 0;
    for (const [hash, { kind, before }] of pending) {
      const json = this.current(kind, hash);
      if (json === before) continue;
      messages.push({ key: hash, value: json });
      bytes += hash.length + (json?.length ?? 0) + RECORD_OVERHEAD;
      if (bytes >= SEND_BYTES) {
        requests.push(messages);
        messages = [];
        bytes = 0;
      }
    }
    if (messages.length > 0) requests.push(messages);
    for (const request of requests) {
      await this.kafka.producer.send({ topic, acks: -1, messages: request });
      this.published += request.length;
    }
  }
}
