import { LogEntry, logLevel } from 'kafkajs';

/**
 * Broker answers that only mean "not yet": a new topic's partitions or a group's coordinator are still being
 * placed, which every start-up against a fresh broker or topic prefix sees. kafkajs logs each such response at
 * error level and then retries the request; a state that lasts surfaces as a failed request and in
 * /health/ready, so the individual answers are debug detail, not errors.
 */
const TRANSIENT_BROKER_STATES: ReadonlySet<string> = new Set([
  'This server does not host this topic-partition',
  'There is no leader for this topic-partition as we are in the middle of a leadership election',
  'This server is not the leader for that topic-partition',
  'The group coordinator is not available',
  'This is not the correct coordinator for this group',
  "The coordinator is loading and hence can't process requests for this group",
  'The group is rebalancing, so a rejoin is needed',
]);

/** The Nest logger method a kafkajs log entry is written with. */
export function kafkaLogLevel(entry: Pick<LogEntry, 'level' | 'log'>): 'error' | 'warn' | 'debug' {
  const { message, error } = entry.log as { message: string; error?: unknown };
  if (message.startsWith('Response ') && typeof error === 'string' && TRANSIENT_BROKER_STATES.has(error))
    return 'debug';
  // Services starting together race to create the same topics. kafkajs' createTopics accepts the loser's
  // "already exists" answer and throws any other, which fails the start (KafkaService.ensureTopics).
  if (message.startsWith('Response CreateTopics') && error === 'Topic creation errors') return 'debug';
  if (entry.level <= logLevel.ERROR) return 'error';
  return entry.level === logLevel.WARN ? 'warn' : 'debug';
}
