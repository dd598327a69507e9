import { KafkaRequestQueue, requestQueueFixed } from './kafkajs-request-queue';

/** A request queue's scheduling state, as kafkajs keeps it (the method under test reads nothing else). */
function queue(pending: unknown[], throttledUntil = -1) {
  const q = Object.create(KafkaRequestQueue.prototype) as {
    pending: unknown[];
    throttledUntil: number;
    throttleCheckTimeoutId: NodeJS.Timeout | null;
    checkPendingRequests: jest.Mock;
    scheduleCheckPendingRequests(): void;
  };
  Object.assign(q, { pending, throttledUntil, throttleCheckTimeoutId: null, checkPendingRequests: jest.fn() });
  return q;
}

describe("kafkajs request queue's timer (tulios/kafkajs#1704, #1751)", () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('applies to the kafkajs installed', () => {
    expect(requestQueueFixed()).toBe(true);
  });

  it('arms no timer for an empty queue that is not throttled (kafkajs polled it every millisecond)', () => {
    const q = queue([]);
    q.scheduleCheckPendingRequests();
    expect(q.throttleCheckTimeoutId).toBeNull();
    expect(jest.getTimerCount()).toBe(0);
  });

  it('still checks a pending request after 10 ms, and a throttled queue when the throttle ends', () => {
    const pending = queue([{}]);
    pending.scheduleCheckPendingRequests();
    jest.advanceTimersByTime(9);
    expect(pending.checkPendingRequests).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(pending.checkPendingRequests).toHaveBeenCalledTimes(1);

    const throttled = queue([], Date.now() + 500);
    throttled.scheduleCheckPendingRequests();
    jest.advanceTimersByTime(500);
    expect(throttled.checkPendingRequests).toHaveBeenCalledTimes(1);
  });
});
