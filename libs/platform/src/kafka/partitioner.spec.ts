import { randomBytes } from 'node:crypto';
import { Partitioners, PartitionerArgs } from 'kafkajs';
// kafkajs's own murmur2, the reference the fast one must equal on every key.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2') as (key: Buffer | string) => number;
import { KeyHashPartitioner, murmur2 } from './partitioner';

describe('murmur2 and the key-hash partitioner', () => {
  const keys: (string | Buffer)[] = [
    '',
    'a',
    'ab',
    'abc',
    'abcd',
    'email:' + 'f'.repeat(64),
    'phone:' + '0'.repeat(64),
    'åäö ÅÄÖ — 😀',
    'x'.repeat(2000),
    Buffer.from([0xff, 0x80, 0x7f, 0x00, 0xfe]),
  ];
  for (let i = 0; i < 2000; i++) {
    const bytes = randomBytes(i % 97);
    keys.push(i % 2 === 0 ? bytes : bytes.toString(i % 3 === 0 ? 'hex' : 'latin1'));
  }

  it("equals kafkajs's murmur2 on every key: ASCII, UTF-8, binary, empty, each tail length, longer than the scratch buffer", () => {
    for (const key of keys) expect([key, murmur2(key)]).toEqual([key, kafkajsMurmur2(key)]);
  });

  it("puts every keyed message on kafkajs's DefaultPartitioner's partition, and honours an explicit partition", () => {
    const ours = KeyHashPartitioner();
    const theirs = Partitioners.DefaultPartitioner();
    for (const partitions of [1, 3, 7, 12]) {
      const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({
        partitionId,
        leader: partitionId % 2 === 0 ? 1 : -1,
        partitionErrorCode: 0,
        replicas: [1],
        isr: [1],
      }));
      for (const key of keys) {
        const args = { topic: 't', partitionMetadata, message: { key, value: 'v' } } as PartitionerArgs;
        expect(ours(args)).toBe(theirs(args));
      }
      const explicit = { topic: 't', partitionMetadata, message: { key: 'k', value: 'v', partition: 0 } };
      expect(ours(explicit as PartitionerArgs)).toBe(0);
    }
  });

  it('spreads messages without a key over the partitions that have a leader', () => {
    const ours = KeyHashPartitioner();
    const partitionMetadata = [0, 1, 2].map((partitionId) => ({
      partitionId,
      leader: partitionId === 1 ? -1 : 1,
      partitionErrorCode: 0,
      replicas: [1],
      isr: [1],
    }));
    const seen = new Set<number>();
    for (let i = 0; i < 10; i++) {
      seen.add(ours({ topic: 't', partitionMetadata, message: { value: 'v' } } as PartitionerArgs));
    }
    expect([...seen].sort()).toEqual([0, 2]);
  });
});
