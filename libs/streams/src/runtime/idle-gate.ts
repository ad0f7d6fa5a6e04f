/**
 * Whether an owner may declare its partition idle (SPEC §4). Idleness means "the consumer reads
 * this partition and there is nothing to read", never "nothing arrived": while the broker is down
 * or the consumer restarts, records wait in Kafka, and a partition ticked idle meanwhile would
 * finalise windows those records belong to, making them late (Flink's rule: a source with pending
 * data is never idle).
 *
 * Two signals from kafkajs: the consumer is fetching (a fetch completed within `fetchStaleMs`,
 * which must exceed the fetch long-poll wait), and the partition is caught up (its position has
 * reached the high watermark the last batch reported; unknown until a batch arrives). Idle time
 * counts only from the end of the last gap in fetching, even if no tick saw the gap.
 */
export class IdleGate {
  private lastFetchAt: number | null = null;
  /** First fetch after the last gap. */
  private fetchingSince: number | null = null;
  private readonly highWatermarks = new Map<string, bigint>();

  constructor(
    private readonly o: {
      /** A consumer without a completed fetch for this long is not reading. */
      fetchStaleMs: number;
      clock: () => number;
    },
  ) {}

  /** kafkajs completed a fetch (its FETCH event). */
  fetched(): void {
    if (!this.fetching()) this.fetchingSince = this.o.clock();
    this.lastFetchAt = this.o.clock();
  }

  /** The consumer crashed, or a new one starts: nothing is known to be readable until it fetches. */
  reset(): void {
    this.lastFetchAt = null;
    this.fetchingSince = null;
    this.highWatermarks.clear();
  }

  /** A batch of `key` was handled; `highWatermark` is the partition's end when it was fetched. */
  batchEnded(key: string, highWatermark: string | undefined): void {
    if (highWatermark === undefined || highWatermark === null) return;
    this.highWatermarks.set(key, BigInt(highWatermark));
  }

  fetching(): boolean {
    return this.lastFetchAt !== null && this.o.clock() - this.lastFetchAt <= this.o.fetchStaleMs;
  }

  /**
   * null when `key` may hold records the task has not seen: the consumer is not fetching, or the
   * last known end of the partition is past `position` (the task's next offset). Else the time
   * since which the consumer has been fetching without a gap.
   */
  readableSince(key: string, position: string | null): number | null {
    if (!this.fetching() || this.fetchingSince === null) return null;
    const end = this.highWatermarks.get(key);
    if (end !== undefined && (position === null ? end > 0n : end > BigInt(position))) return null;
    return this.fetchingSince;
  }
}
