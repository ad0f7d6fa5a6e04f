import { Admin } from 'kafkajs';
import { StreamsLogger } from './logger';
import { partitionLabels, StreamsMetrics } from './metrics';
import { withTimeout } from './timeout';

interface PartitionProgress {
  topic: string;
  partition: number;
  /** The next offset committed to Postgres (null: nothing yet). */
  committed: string | null;
  /** Wall-clock ms when `committed` last moved (or the partition was assigned). */
  movedAt: number;
  stalled: boolean;
}

interface TopicEnds {
  /** partition → [low, high] (high: last stable offset under read_committed). */
  offsets: Map<number, [bigint, bigint]>;
}

/**
 * A stalled partition is an incident: one that has lag while its committed offset has not moved
 * for `stallAfterMs`. Sets `<prefix>_partition_stalled{topic,partition}` to 1 for it (the alert
 * rule watches this) and logs when a partition stalls and when it recovers.
 */
export class StallMonitor {
  private readonly partitions = new Map<string, PartitionProgress>();
  private ends = new Map<string, TopicEnds>();
  private endsAt = 0;
  private checking = false;

  constructor(
    private readonly o: {
      processor: string;
      admin: () => Admin | undefined;
      metrics: StreamsMetrics;
      logger: StreamsLogger;
      stallAfterMs: number;
      clock: () => number;
      /** How often the topics' end offsets are read. */
      refreshMs?: number;
      timeoutMs?: number;
    },
  ) {}

  assigned(parts: Array<{ topic: string; partition: number }>): void {
    const now = this.o.clock();
    const keep = new Set(parts.map((p) => `${p.topic}-${p.partition}`));
    for (const [key, p] of this.partitions) {
      if (keep.has(key)) continue;
      this.partitions.delete(key);
      this.o.metrics.partitionStalled.remove(partitionLabels(this.o.processor, p));
    }
    for (const p of parts) {
      const key = `${p.topic}-${p.partition}`;
      if (!this.partitions.has(key))
        this.partitions.set(key, { ...p, committed: null, movedAt: now, stalled: false });
    }
  }

  committed(key: string, nextOffset: string | null): void {
    const p = this.partitions.get(key);
    if (!p || nextOffset === null || nextOffset === p.committed) return;
    p.committed = nextOffset;
    p.movedAt = this.o.clock();
  }

  /** One check; errors reading offsets are logged and the previous ends are kept. */
  async check(): Promise<void> {
    if (this.checking || this.partitions.size === 0) return;
    this.checking = true;
    try {
      const now = this.o.clock();
      if (now - this.endsAt >= (this.o.refreshMs ?? 5000)) await this.refreshEnds(now);
      for (const p of this.partitions.values()) this.evaluate(p, now);
    } finally {
      this.checking = false;
    }
  }

  private evaluate(p: PartitionProgress, now: number): void {
    const range = this.ends.get(p.topic)?.offsets.get(p.partition);
    if (!range) return;
    const position = p.committed === null ? range[0] : BigInt(p.committed);
    const lag = range[1] - position;
    const stalled = lag > 0n && now - p.movedAt >= this.o.stallAfterMs;
    const labels = partitionLabels(this.o.processor, p);
    this.o.metrics.partitionStalled.set(labels, stalled ? 1 : 0);
    if (stalled === p.stalled) return;
    p.stalled = stalled;
    const ctx = {
      ...labels,
      committed: p.committed,
      lag: lag.toString(),
      stuckForMs: now - p.movedAt,
    };
    if (stalled) this.o.logger.error(ctx, 'partition stalled');
    else this.o.logger.info(ctx, 'partition recovered');
  }

  private async refreshEnds(now: number): Promise<void> {
    const admin = this.o.admin();
    if (!admin) return;
    const topics = [...new Set([...this.partitions.values()].map((p) => p.topic))];
    try {
      const next = new Map<string, TopicEnds>();
      for (const topic of topics) {
        const offsets = await withTimeout(
          admin.fetchTopicOffsets(topic),
          this.o.timeoutMs ?? 5000,
          `fetchTopicOffsets ${topic}`,
        );
        next.set(topic, {
          offsets: new Map(offsets.map((o) => [o.partition, [BigInt(o.low), BigInt(o.high)]])),
        });
      }
      this.ends = next;
      this.endsAt = now;
    } catch (err) {
      this.o.logger.warn(
        { processor: this.o.processor, err: (err as Error).message },
        'end offsets not read',
      );
    }
  }
}
