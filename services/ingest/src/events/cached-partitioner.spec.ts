import { PartitionerArgs, Partitioners } from 'kafkajs';
import { CachedDefaultPartitioner, PARTITION_CACHE_KEYS } from './cached-partitioner';

const meta = (n: number) => Array.from({ length: n }, (_, partitionId) => ({ partitionId, partitionErrorCode: 0, leader: 1, replicas: [1], isr: [1] }));
const args = (key: string | null, partitions = 6, partition?: number): PartitionerArgs => ({
  topic: 't',
  partitionMetadata: meta(partitions),
  message: { key, value: 'v', partition },
});

describe('CachedDefaultPartitioner', () => {
  it('gives the partition of the default (murmur2, Java-compatible) partitioner for every key', () => {
    const cached = CachedDefaultPartitioner();
    const plain = Partitioners.DefaultPartitioner();
    for (let i = 0; i < 2000; i++) {
      const key = `user-${i % 700}`;
      expect(cached(args(key))).toBe(plain(args(key)));
      expect(cached(args(key, 12))).toBe(plain(args(key, 12)));
    }
  });

  it('honours an explicit partition and spreads unkeyed messages without caching them', () => {
    const cached = CachedDefaultPartitioner();
    expect(cached(args('user-1', 6, 4))).toBe(4);
    const spread = new Set(Array.from({ length: 60 }, () => cached(args(null))));
    expect(spread.size).toBeGreaterThan(1);
  });

  it('stays exact when the cache starts over', () => {
    const cached = CachedDefaultPartitioner();
    const plain = Partitioners.DefaultPartitioner();
    for (let i = 0; i <= PARTITION_CACHE_KEYS; i++) cached(args(`k${i}`));
    expect(cached(args('k7'))).toBe(plain(args('k7')));
  });
});
