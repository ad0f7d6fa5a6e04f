import { globalWatermark } from './global-watermark';

describe('globalWatermark (SPEC §4)', () => {
  const idle = 30_000;
  const now = 1_000_000;

  it('is the minimum over partitions that are not idle', () => {
    expect(
      globalWatermark(
        [
          { partition: 0, watermark: 500 },
          { partition: 1, watermark: 300 },
          { partition: 2, watermark: 900 },
        ],
        now,
        idle,
      ),
    ).toBe(300);
  });

  it('is not held back by a partition its owner declares idle (an idle tick committed lately)', () => {
    expect(
      globalWatermark(
        [
          { partition: 0, watermark: 500 },
          {
            partition: 1,
            watermark: 10,

            idleAdvancedTo: now - 1000,
          },
        ],
        now,
        idle,
      ),
    ).toBe(500);
  });

  it('waits for a partition whose owner stopped committing (commits failing, crashed, in backoff)', () => {
    const busy = { partition: 0, watermark: 500 };
    // Quiet for five idle timeouts with no idle tick committed: its owner could not commit, not "no input".
    expect(globalWatermark([busy, { partition: 1, watermark: 100 }], now, idle)).toBe(100);
    // Declared idle once, then silent for longer than the timeout: its owner is gone, the declaration is void.
    expect(
      globalWatermark(
        [busy, { partition: 1, watermark: 100, idleAdvancedTo: now - idle }],
        now,
        idle,
      ),
    ).toBe(100);
    // Every partition silent: no wall-clock advance past what the owners committed.
    expect(globalWatermark([busy, { partition: 1, watermark: 100 }], now, idle, 2)).toBe(100);
  });

  it('is not held back by an empty partition, and is null when no partition had input', () => {
    expect(
      globalWatermark(
        [
          { partition: 0, watermark: 700 },
          { partition: 1, watermark: null },
        ],
        now,
        idle,
      ),
    ).toBe(700);
    expect(globalWatermark([{ partition: 0, watermark: null }], now, idle)).toBeNull();
  });

  it('advances with the wall clock when every partition is idle', () => {
    // Each owner committed its last idle tick 3 s and 1 s ago.
    const parts = [
      { partition: 0, watermark: 5000, idleAdvancedTo: now - 3000 },
      { partition: 1, watermark: 7000, idleAdvancedTo: now - 1000 },
    ];
    expect(globalWatermark(parts, now, idle)).toBe(8000);
    expect(globalWatermark(parts, now + 10_000, idle)).toBe(18_000);
  });
});

describe('globalWatermark with a partition count (safe to finalise on)', () => {
  const idle = 30_000;
  const now = 1_000_000;

  it('waits for partitions nobody has claimed yet', () => {
    expect(globalWatermark([{ partition: 0, watermark: 700 }], now, idle, 2)).toBeNull();
  });

  it('waits for an empty partition until its owner declares it idle, and again when the declaration goes stale', () => {
    const busy = { partition: 0, watermark: 700 };
    const empty = { partition: 1, watermark: null };
    // Claimed long ago, never declared idle: its owner may be failing to commit its first records.
    expect(globalWatermark([busy, empty], now, idle, 2)).toBeNull();
    expect(globalWatermark([busy, { ...empty, idleAdvancedTo: now - 1 }], now, idle, 2)).toBe(700);
    expect(
      globalWatermark([busy, { ...empty, idleAdvancedTo: now - idle }], now, idle, 2),
    ).toBeNull();
  });

  it('adds only the idle time the owner has not committed yet', () => {
    const parts = [{ partition: 0, watermark: 5000, idleAdvancedTo: now - 1000 }];
    expect(globalWatermark(parts, now, idle, 1)).toBe(6000);
  });
});
