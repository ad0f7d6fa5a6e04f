import { globalWatermark } from './global-watermark';

describe('globalWatermark (SPEC §4)', () => {
  const idle = 30_000;
  const now = 1_000_000;

  it('is the minimum over partitions that are not idle', () => {
    expect(
      globalWatermark(
        [
          { partition: 0, watermark: 500, lastInputAt: now - 1000 },
          { partition: 1, watermark: 300, lastInputAt: now - 2000 },
          { partition: 2, watermark: 900, lastInputAt: now },
        ],
        now,
        idle,
      ),
    ).toBe(300);
  });

  it('is not held back by an idle partition', () => {
    expect(
      globalWatermark(
        [
          { partition: 0, watermark: 500, lastInputAt: now - 1000 },
          { partition: 1, watermark: 10, lastInputAt: now - idle },
        ],
        now,
        idle,
      ),
    ).toBe(500);
  });

  it('is not held back by an empty partition, and is null when no partition had input', () => {
    expect(globalWatermark([{ partition: 0, watermark: 700, lastInputAt: now }, { partition: 1, watermark: null, lastInputAt: 0 }], now, idle)).toBe(700);
    expect(globalWatermark([{ partition: 0, watermark: null, lastInputAt: 0 }], now, idle)).toBeNull();
  });

  it('advances with the wall clock when every partition is idle', () => {
    const parts = [
      { partition: 0, watermark: 5000, lastInputAt: now - idle - 4000 }, // idle for 4 s past the timeout
      { partition: 1, watermark: 7000, lastInputAt: now - idle - 1000 },
    ];
    expect(globalWatermark(parts, now, idle)).toBe(8000);
    expect(globalWatermark(parts, now + 10_000, idle)).toBe(18_000);
  });
});
