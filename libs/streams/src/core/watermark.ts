/**
 * Per-partition event-time watermark (SPEC §4): max event time seen minus the allowed lateness.
 * A partition without input for `idleTimeoutMs` of wall-clock time is idle: its watermark then
 * advances by the wall-clock time that passes while it stays idle, so quiet streams still close.
 */
export interface WatermarkState {
  maxEventTime: number | null;
  watermark: number | null;
  /** Wall-clock ms of the last record (or of the restore). */
  lastInputAt: number;
  /** Wall-clock ms up to which idle time was already added to the watermark. */
  idleAdvancedTo: number | null;
}

export interface WatermarkOptions {
  allowedLatenessMs: number;
  idleTimeoutMs: number;
}

export class PartitionWatermark {
  constructor(
    private readonly options: WatermarkOptions,
    private state: WatermarkState,
  ) {}

  static fresh(options: WatermarkOptions, now: number): PartitionWatermark {
    return new PartitionWatermark(options, {
      maxEventTime: null,
      watermark: null,
      lastInputAt: now,
      idleAdvancedTo: null,
    });
  }

  get current(): number | null {
    return this.state.watermark;
  }

  snapshot(): WatermarkState {
    return { ...this.state };
  }

  /** True when `eventTime` is older than the watermark: the record is late and changes nothing. */
  isLate(eventTime: number): boolean {
    return this.state.watermark !== null && eventTime < this.state.watermark;
  }

  /** Accounts an accepted record; returns true when the watermark moved. */
  observe(eventTime: number, now: number): boolean {
    this.state.lastInputAt = now;
    this.state.idleAdvancedTo = null;
    if (this.state.maxEventTime !== null && eventTime <= this.state.maxEventTime) return false;
    this.state.maxEventTime = eventTime;
    return this.raiseTo(eventTime - this.options.allowedLatenessMs);
  }

  /**
   * Wall-clock tick: an idle partition's watermark advances with the clock. An empty one (no
   * record yet) has nothing to advance, but says it is idle again every third of the timeout
   * (true: commit it), so that global stages may leave it out only while its owner is alive.
   * `readableSince`: since when the runtime has been reading the partition without a gap; quiet
   * time before it (broker down, consumer restarting) does not count as idle, and an idle
   * declaration made before the gap is withdrawn (true: commit it).
   */
  tick(now: number, readableSince = Number.NEGATIVE_INFINITY): boolean {
    const withdrew =
      this.state.idleAdvancedTo !== null && this.state.idleAdvancedTo < readableSince;
    if (withdrew) this.state.idleAdvancedTo = null;
    const idleSince = Math.max(this.state.lastInputAt, readableSince) + this.options.idleTimeoutMs;
    if (now <= idleSince) return withdrew;
    if (this.state.watermark === null) {
      if (
        this.state.idleAdvancedTo !== null &&
        now - this.state.idleAdvancedTo < this.options.idleTimeoutMs / 3
      )
        return withdrew;
      this.state.idleAdvancedTo = now;
      return true;
    }
    const from = this.state.idleAdvancedTo ?? idleSince;
    if (now <= from) return withdrew;
    this.state.idleAdvancedTo = now;
    return this.raiseTo(this.state.watermark + (now - from)) || withdrew;
  }

  /**
   * Input may be waiting where the consumer cannot see it (not fetching, or behind the partition's
   * end): the partition is not idle, and its idle timeout starts again. Returns true when this
   * withdraws an idle declaration (commit it, so global stages count the partition again).
   */
  hold(now: number): boolean {
    this.state.lastInputAt = Math.max(this.state.lastInputAt, now);
    if (this.state.idleAdvancedTo === null) return false;
    this.state.idleAdvancedTo = null;
    return true;
  }

  /** Raises the watermark to at least `floor` (never lowers it); true when it moved. */
  raiseFloor(floor: number): boolean {
    return this.raiseTo(floor);
  }

  isIdle(now: number): boolean {
    return now - this.state.lastInputAt >= this.options.idleTimeoutMs;
  }

  private raiseTo(candidate: number): boolean {
    if (this.state.watermark !== null && candidate <= this.state.watermark) return false;
    this.state.watermark = candidate;
    return true;
  }
}
