import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';

const KAFKA_BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';

export const testKafka = (clientId: string) =>
  new Kafka({ clientId, brokers: KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING });

/** All messages of a topic from the beginning up to its current end, as `<key> <value>`. */
export async function readTopic(topic: string): Promise<string[]> {
  const kafka = testKafka('e2e-topic-scan');
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const remaining = new Map(ends.filter((e) => Number(e.high) > 0).map((e) => [e.partition, Number(e.high)]));
  const messages: string[] = [];
  if (remaining.size === 0) return messages;
  const consumer = kafka.consumer({ groupId: `e2e-topic-scan-${randomBytes(4).toString('hex')}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  await consumer.run({
    eachMessage: ({ partition, message }) => {
      messages.push(`${message.key?.toString() ?? ''} ${message.value?.toString() ?? ''}`);
      if (Number(message.offset) + 1 >= (remaining.get(partition) ?? 0)) remaining.delete(partition);
      if (remaining.size === 0) done();
      return Promise.resolve();
    },
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      finished,
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('topic not read in time')), 30000))),
    ]);
  } finally {
    clearTimeout(timer);
    await consumer.disconnect();
  }
  return messages;
}
