import { FakeClock } from './clock';
import { RateLimiter } from './rate-limiter';

/** Takes `sizes` one after another; returns the clock time at which each was allowed. */
async function grantTimes(
  limiter: RateLimiter,
  clock: FakeClock,
  sizes: number[],
): Promise<number[]> {
  const times: number[] = [];
  for (const n of sizes) {
    await limiter.take(n);
    times.push(clock.now());
  }
  return times;
}

describe('RateLimiter', () => {
  it('paces single events at the rate after the burst', async () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter(10, { clock, burst: 1 }); // 1 event per 100 ms
    const times = await grantTimes(limiter, clock, [1, 1, 1, 1, 1]);
    // The bucket holds 1 and a take may overdraw it once: two go at once, then one per 100 ms.
    expect(times).toEqual([0, 0, 100, 200, 300]);
  });

  it('keeps the long-run rate with batches larger than the bucket', async () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter(100, { clock }); // burst: 10 events
    const times = await grantTimes(limiter, clock, [500, 500, 500, 500]);
    // First batch at once; each one after waits for the debt of the one before (490 events = 4.9 s,
    // then 500 events = 5 s each).
    expect(times).toEqual([0, 4900, 9900, 14900]);
    // Over the batches after the first, the rate is 100/s but for the 10-event burst.
    const rate = (3 * 500) / ((times[3] - times[0]) / 1000);
    expect(rate).toBeGreaterThanOrEqual(100);
    expect(rate).toBeLessThan(101);
  });

  it('refills while idle, up to the burst only', async () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter(1000, { clock, burst: 100 });
    await limiter.take(100); // bucket empty
    clock.advance(60_000); // a minute idle refills 100, not 60,000
    await limiter.take(100);
    expect(clock.sleeps).toEqual([]);
    await limiter.take(100); // bucket at 0: not in debt, goes
    await limiter.take(1); // 100 in debt: 100 ms
    expect(clock.sleeps).toEqual([100]);
  });

  it('serves concurrent callers in call order, one timer each, no polling', async () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter(1000, { clock, burst: 1 });
    await Promise.all([limiter.take(1000), limiter.take(1000), limiter.take(1000)]);
    // The second waits for the first's debt (999 ms), the third for both (1999 ms).
    expect(clock.sleeps).toEqual([999, 1999]);
  });

  it.each([0, Infinity])('is unlimited at %p events/s', async (rate) => {
    const clock = new FakeClock();
    const limiter = new RateLimiter(rate, { clock });
    await grantTimes(limiter, clock, [1e6, 1e6, 1e6]);
    expect(clock.sleeps).toEqual([]);
    expect(limiter.unlimited).toBe(true);
  });

  it('uses real timers by default', async () => {
    const limiter = new RateLimiter(1000, { burst: 1 });
    const started = performance.now();
    await limiter.take(1);
    await limiter.take(50); // not in debt yet: goes now
    await limiter.take(1); // waits ~50 ms
    expect(performance.now() - started).toBeGreaterThanOrEqual(40);
  });

  it('rejects a bad rate or count', async () => {
    expect(() => new RateLimiter(-1)).toThrow(/eventsPerSecond must be a number >= 0/);
    expect(() => new RateLimiter(NaN)).toThrow(RangeError);
    await expect(new RateLimiter(10).take(-1)).rejects.toThrow(/finite n >= 0/);
    await expect(new RateLimiter(10).take(Infinity)).rejects.toThrow(RangeError);
  });
});
