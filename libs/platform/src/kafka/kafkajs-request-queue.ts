/**
 * kafkajs 2.2.4 (pinned through @nestjs/microservices; upstream has no release since) re-arms a timer on every
 * connection's request queue after each check, with a negative delay when nothing is throttled: Node clamps it to
 * 1 ms, so every broker connection of every service checks an empty queue a thousand times a second for ever
 * (tulios/kafkajs#1704), and Node 24 prints a TimeoutNegativeWarning at each start (tulios/kafkajs#1751; the
 * proposed fixes, #1755 and #1768, are unmerged). This replaces that one method with the fix discussed there: a
 * check is scheduled only when a request is pending (as before) or the queue is throttled (until it ends).
 *
 * Applied once, when the platform's Kafka code is loaded; `requestQueueFixed()` says whether it took.
 */
interface RequestQueueInternals {
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  throttledUntil: number;
  pending: unknown[];
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

/** kafkajs's own interval for pending requests (src/network/requestQueue/index.js). */
const CHECK_PENDING_REQUESTS_INTERVAL = 10;

function scheduleCheckPendingRequests(this: RequestQueueInternals): void {
  if (this.throttleCheckTimeoutId) return;
  let scheduleAt = this.throttledUntil - Date.now();
  if (this.pending.length > 0) scheduleAt = scheduleAt > 0 ? scheduleAt : CHECK_PENDING_REQUESTS_INTERVAL;
  else if (scheduleAt <= 0) return; // nothing pending and not throttled: the next push or response checks again
  this.throttleCheckTimeoutId = setTimeout(() => {
    this.throttleCheckTimeoutId = null;
    this.checkPendingRequests();
  }, scheduleAt);
}

// eslint-disable-next-line @typescript-eslint/no-require-imports -- kafkajs exports no types for its internals
const RequestQueue = require('kafkajs/src/network/requestQueue') as { prototype: RequestQueueInternals };
const original = RequestQueue.prototype.scheduleCheckPendingRequests;
// Only the version whose body this replaces: another kafkajs would be left alone (and the test below fails).
const fixed = /let scheduleAt = this\.throttledUntil - Date\.now\(\)/.test(original.toString());
if (fixed) RequestQueue.prototype.scheduleCheckPendingRequests = scheduleCheckPendingRequests;

export const requestQueueFixed = (): boolean => fixed;
export { RequestQueue as KafkaRequestQueue };
