/** A group's committed position on one partition: the next offset it will read. */
export interface CommittedOffset {
  group: string;
  topic: string;
  partition: number;
  /** null: the group owns the partition but has consumed nothing yet. */
  offset: bigint | null;
}

/** A partition's log: low = earliest retained offset, high = the end (next offset to be written). */
export interface PartitionEnds {
  topic: string;
  partition: number;
  low: bigint;
  high: bigint;
}

export interface PartitionLag {
  group: string;
  topic: string;
  partition: number;
  /** The offset lag is measured from (committed, or the log start when nothing is committed). */
  current: bigint;
  lag: bigint;
}

/**
 * lag = end offset − committed offset, for every partition of every topic a group has committed
 * on. A partition without a commit counts from the log start: everything retained is still to be
 * read. Never negative (a committed offset can be briefly ahead of a stale end offset).
 */
export function consumerLag(
  committed: readonly CommittedOffset[],
  ends: readonly PartitionEnds[],
): PartitionLag[] {
  const endsByTopic = new Map<string, PartitionEnds[]>();
  for (const e of ends) endsByTopic.set(e.topic, [...(endsByTopic.get(e.topic) ?? []), e]);
  const positions = new Map<string, bigint | null>();
  const groupTopics = new Map<string, Set<string>>();
  for (const c of committed) {
    positions.set(`${c.group}\u0000${c.topic}\u0000${c.partition}`, c.offset);
    groupTopics.set(c.group, (groupTopics.get(c.group) ?? new Set()).add(c.topic));
  }
  const out: PartitionLag[] = [];
  for (const [group, topics] of groupTopics) {
    for (const topic of topics) {
      for (const e of endsByTopic.get(topic) ?? []) {
        const current = positions.get(`${group}\u0000${topic}\u0000${e.partition}`) ?? e.low;
        out.push({
          group,
          topic,
          partition: e.partition,
          current,
          lag: e.high > current ? e.high - current : 0n,
        });
      }
    }
  }
  return out;
}
