import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Set while an @EventPattern handler runs (KafkaEventsServer). Code that behaves differently for a consumer
 * than for an HTTP request reads it, e.g. EventLog.append: a request is acknowledged only once its event is on
 * Kafka, while a consumer need not wait — its offsets are committed after the handler, and an event it appended
 * is in the outbox, which the relay publishes even after a crash.
 */
export const consumerHandlerContext = new AsyncLocalStorage<true>();
