import type { ICustomPartitioner } from 'kafkajs';
import { randomBytes } from 'node:crypto';

/** Keys up to this many UTF-8 bytes are hashed from one reused buffer instead of a new one each. */
const scratch = Buffer.allocUnsafe(1024);

/**
 * Kafka's murmur2 (the Java client's `Utils.murmur2`, which kafkajs's DefaultPartitioner also computes) in 32-bit
 * integer arithmetic. kafkajs computes it with 64-bit `Long` objects, a dozen allocations per four bytes of key:
 * for the 70-character keys of kielto's topics that was 8 % of a replay's CPU, spent on the partner feed.
 * Only the low 32 bits of kafkajs's products reach its result, so `Math.imul` gives the same number
 * (partitioner.spec.ts holds the two to each other).
 */
export function murmur2(key: Buffer | string): number {
  if (typeof key !== 'string') return murmur2Bytes(key, key.length);
  const length = Buffer.byteLength(key, 'utf8');
  if (length > scratch.length) return murmur2Bytes(Buffer.from(key, 'utf8'), length);
  scratch.write(key, 0, 'utf8');
  return murmur2Bytes(scratch, length);
}

function murmur2Bytes(data: Buffer, length: number): number {
  const m = 0x5bd1e995;
  let h = 0x9747b28c ^ length;
  const length4 = length >>> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i << 2;
    let k = data[i4] | (data[i4 + 1] << 8) | (data[i4 + 2] << 16) | (data[i4 + 3] << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const rest = length & 3;
  if (rest > 0) {
    const tail = length - rest;
    if (rest === 3) h ^= data[tail + 2] << 16;
    if (rest >= 2) h ^= data[tail + 1] << 8;
    h ^= data[tail];
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/**
 * kafkajs's DefaultPartitioner (the Java client's: a message's own partition, else murmur2 of its key, else
 * round robin over the partitions with a leader) with the murmur2 above, so every keyed message lands where
 * kafkajs and the Java client put it; the list of available partitions is built only for messages without a key.
 */
export const KeyHashPartitioner: ICustomPartitioner = () => {
  const counters = new Map<string, number>();
  return ({ topic, partitionMetadata, message }) => {
    if (message.partition !== null && message.partition !== undefined) return message.partition;
    if (message.key !== null && message.key !== undefined) {
      return (murmur2(message.key) & 0x7fffffff) % partitionMetadata.length;
    }
    const counter = (counters.get(topic) ?? randomBytes(4).readUInt32BE(0)) + 1;
    counters.set(topic, counter);
    const available = partitionMetadata.filter((p) => p.leader >= 0);
    if (available.length > 0) return available[(counter & 0x7fffffff) % available.length].partitionId;
    return (counter & 0x7fffffff) % partitionMetadata.length;
  };
};
