import { ICustomPartitioner, PartitionerArgs, Partitioners } from 'kafkajs';

/** Keys remembered per topic; past it the cache starts over (a burst of new users costs a miss each). */
export const PARTITION_CACHE_KEYS = 100_000;

/**
 * kafkajs' DefaultPartitioner (murmur2 of the key, as the Java client), remembered per key: the
 * same users send many events, and the hash plus its per-message allocations were ~7 % of ingest's
 * CPU. Only keyed messages are cached, per topic and partition count, so adding partitions re-hashes.
 */
export const CachedDefaultPartitioner: ICustomPartitioner = () => {
  const partitioner = Partitioners.DefaultPartitioner();
  const caches = new Map<string, { partitions: number; byKey: Map<string, number> }>();
  return (args: PartitionerArgs): number => {
    const { topic, partitionMetadata, message } = args;
    const key = message.key;
    if (typeof key !== 'string' || (message.partition !== undefined && message.partition !== null)) return partitioner(args);
    let cache = caches.get(topic);
    if (!cache || cache.partitions !== partitionMetadata.length || cache.byKey.size >= PARTITION_CACHE_KEYS) {
      cache = { partitions: partitionMetadata.length, byKey: new Map() };
      caches.set(topic, cache);
    }
    let partition = cache.byKey.get(key);
    if (partition === undefined) {
      partition = partitioner(args);
      cache.byKey.set(key, partition);
    }
    return partition;
  };
};
