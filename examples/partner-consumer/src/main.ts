/*
 * Runnable example: keeps the suppression set and answers questions typed on stdin, e.g.
 *
 *   KAFKA_BROKERS=127.0.0.1:9092 KIELTO_PARTNER_HASH_KEY=… npx ts-node --transpile-only src/main.ts
 *   email matti@example.fi
 *   phone 040 123 4567 sms partner-marketing
 */
import { createInterface } from 'node:readline';
import { identifierHash } from './identifier-hash';
import { PartnerFeedConsumer } from './partner-feed-consumer';

async function main(): Promise<void> {
  const key = process.env.KIELTO_PARTNER_HASH_KEY;
  if (!key) throw new Error('Set KIELTO_PARTNER_HASH_KEY to the hash key kielto shared with you');
  const feed = new PartnerFeedConsumer({
    brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
    topic: process.env.KIELTO_FEED_TOPIC ?? 'kielto.suppression.v1',
  });
  await feed.start();
  await feed.ready();
  console.error(
    `suppression set ready: ${feed.set.size} suppressed identifiers; ask "email <address> [channel purpose]"`,
  );

  for await (const line of createInterface({ input: process.stdin })) {
    const match = /^(email|phone)\s+(.+?)(?:\s+(email|sms|phone|post)\s+([a-z-]+))?$/.exec(line.trim());
    if (!match) {
      console.log('usage: email|phone <identifier> [channel purpose]');
      continue;
    }
    const [, kind, identifier, channel, purpose] = match;
    const hash = identifierHash(key, kind as 'email' | 'phone', identifier);
    if (!hash) console.log(`not a valid ${kind}`);
    else
      console.log(
        feed.set.isSuppressed(hash, channel, purpose)
          ? `SUPPRESSED ${JSON.stringify(feed.set.suppressionsOf(hash))}`
          : 'not suppressed',
      );
  }
  await feed.stop();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
