import { Clock, systemClock } from './clock';

export interface RateLimiterOptions {
  /**
   * Most events the bucket holds, i.e. the burst allowed after an idle spell.
   * Default: a tenth of a second's worth (at least 1), so short runs keep close to the rate too.
   */
  burst?: number;
  /** Default: the system clock. */
  clock?: Clock;
}

/**
 * Token bucket for events. `take(n)` resolves when n events may go out at `eventsPerSecond`.
 *
 * A take larger than the bucket (a batch of 500 at 100 events/s) is allowed: it goes out once the
 * bucket is not in debt, and the debt it leaves delays the next take. So batches of any size keep the
 * long-run rate (the first take of a run never waits), and concurrent callers are served in call
 * order, each with at most one timer (no polling). `0` or `Infinity` means unlimited.
 */
export class RateLimiter {
  private readonly perMs: number;
  private readonly capacity: number;
  private readonly clock: Clock;
  private tokens: number;
  private last: number;

  constructor(
    readonly eventsPerSecond: number,
    options: RateLimiterOptions = {},
  ) {
    if (Number.isNaN(eventsPerSecond) || eventsPerSecond < 0) {
      throw new RangeError(
        `eventsPerSecond must be a number >= 0 (0 or Infinity: unlimited), got ${eventsPerSecond}`,
      );
    }
    this.clock = options.clock ?? systemClock;
    this.perMs = eventsPerSecond / 1000;
    this.capacity = Math.max(1, options.burst ?? eventsPerSecond / 10);
    this.tokens = this.capacity;
    this.last = this.clock.now();
  }

  get unlimited(): boolean {
    return this.eventsPerSecond === 0 || this.eventsPerSecond === Infinity;
  }

  /** Resolves once `n` events may be sent. */
  take(n: number): Promise<void> {
    if (!Number.isFinite(n) || n < 0) {
      return Promise.reject(new RangeError(`take(n) needs a finite n >= 0, got ${n}`));
    }
    if (this.unlimited || n === 0) return Promise.resolve();
    const now = this.clock.now();
    const available = Math.min(this.capacity, this.tokens + (now - this.last) * this.perMs);
    // Wait until the bucket is out of debt, then spend: what this take overdraws delays the next one.
    const waitMs = available < 0 ? -available / this.perMs : 0;
    this.tokens = available - n;
    this.last = now;
    return waitMs > 0 ? this.clock.sleep(waitMs) : Promise.resolve();
  }
}
