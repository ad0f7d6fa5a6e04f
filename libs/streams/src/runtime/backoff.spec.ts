import { restartDelayMs } from './backoff';

describe('restartDelayMs', () => {
  const o = { initialMs: 1000, maxMs: 60_000 };

  it('doubles from the initial delay and is capped, with half of it jittered', () => {
    const low = (attempt: number) => restartDelayMs(attempt, o, () => 0);
    const high = (attempt: number) => restartDelayMs(attempt, o, () => 1);
    expect([1, 2, 3, 4, 5, 6, 7, 8, 20].map(high)).toEqual([
      1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000,
    ]);
    expect([1, 2, 7].map(low)).toEqual([500, 1000, 30_000]);
  });

  it('never waits nothing and never more than the cap, however many attempts', () => {
    for (let attempt = 1; attempt < 200; attempt += 7) {
      const d = restartDelayMs(attempt, o);
      expect(d).toBeGreaterThanOrEqual(500);
      expect(d).toBeLessThanOrEqual(60_000);
    }
  });
});
