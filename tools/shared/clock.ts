/** Time source of the tools: a monotonic `now` in ms and a `sleep`. Tests inject a fake one. */
export interface Clock {
  now(): number;
  /** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** performance.now() (monotonic: immune to wall-clock jumps) and setTimeout. */
export const systemClock: Clock = {
  now: () => performance.now(),
  sleep: (ms, signal) => {
    if (!(ms > 0) || signal?.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
    });
  },
};

/**
 * A clock whose time moves only when someone sleeps (or calls advance): sleeps resolve at once and
 * are recorded, so pacing and backoff can be asserted exactly.
 */
export class FakeClock implements Clock {
  readonly sleeps: number[] = [];

  constructor(private time = 0) {}

  now(): number {
    return this.time;
  }

  /** Resolves on the next microtask, the time then being (at least) the wake-up time. */
  async sleep(ms: number, _signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    const wakeAt = this.time + Math.max(0, ms);
    await Promise.resolve();
    this.time = Math.max(this.time, wakeAt);
  }

  advance(ms: number): void {
    this.time += ms;
  }
}
