import { PartitionWatermark } from './watermark';

const opts = { allowedLatenessMs: 100, idleTimeoutMs: 30_000 };

describe('PartitionWatermark', () => {
  it('starts without a watermark: nothing is late before the first record', () => {
    const wm = PartitionWatermark.fresh(opts, 0);
    expect(wm.current).toBeNull();
    expect(wm.isLate(Number.MIN_SAFE_INTEGER)).toBe(false);
    expect(wm.snapshot()).toEqual({
      maxEventTime: null,
      watermark: null,
      lastInputAt: 0,
      idleAdvancedTo: null,
    });
  });

  it('is max event time - allowed lateness', () => {
    const wm = PartitionWatermark.fresh(opts, 0);
    expect(wm.observe(1_000, 0)).toBe(true);
    expect(wm.current).toBe(900);
    expect(wm.observe(5_000, 0)).toBe(true);
    expect(wm.current).toBe(4_900);
    expect(wm.snapshot().maxEventTime).toBe(5_000);
  });

  it('does not go backwards on older records (and reports no move)', () => {
    const wm = PartitionWatermark.fresh(opts, 0);
    wm.observe(5_000, 0);
    expect(wm.observe(4_950, 1)).toBe(false);
    expect(wm.observe(5_000, 2)).toBe(false);
    expect(wm.observe(0, 3)).toBe(false);
    expect(wm.current).toBe(4_900);
    expect(wm.snapshot().maxEventTime).toBe(5_000);
    expect(wm.snapshot().lastInputAt).toBe(3);
  });

  it('a record is late when strictly older than the watermark', () => {
    const wm = PartitionWatermark.fresh(opts, 0);
    wm.observe(1_000, 0);
    expect(wm.isLate(899)).toBe(true);
    expect(wm.isLate(900)).toBe(false);
    expect(wm.isLate(950)).toBe(false);
  });

  it('zero allowed lateness: the watermark is the max event time', () => {
    const wm = PartitionWatermark.fresh({ allowedLatenessMs: 0, idleTimeoutMs: 1 }, 0);
    wm.observe(42, 0);
    expect(wm.current).toBe(42);
    expect(wm.isLate(41)).toBe(true);
    expect(wm.isLate(42)).toBe(false);
  });

  it('snapshot is a copy', () => {
    const wm = PartitionWatermark.fresh(opts, 0);
    const snap = wm.snapshot();
    wm.observe(1_000, 5);
    expect(snap.watermark).toBeNull();
  });

  describe('idle partitions', () => {
    it('a partition that never saw a record has no watermark, but declares itself idle every third of the timeout', () => {
      const wm = PartitionWatermark.fresh(opts, 0);
      expect(wm.tick(30_000)).toBe(false);
      expect(wm.tick(30_001)).toBe(true);
      expect(wm.snapshot().idleAdvancedTo).toBe(30_001);
      expect(wm.tick(40_000)).toBe(false);
      expect(wm.tick(40_001)).toBe(true);
      expect(wm.current).toBeNull();
      // A record ends the declaration.
      wm.observe(1_000, 41_000);
      expect(wm.snapshot().idleAdvancedTo).toBeNull();
    });

    it('does not move before the idle timeout, then moves with the wall clock', () => {
      const wm = PartitionWatermark.fresh(opts, 0);
      wm.observe(1_000, 10_000); // last input at wall 10 s, watermark 900
      expect(wm.tick(39_999)).toBe(false);
      expect(wm.tick(40_000)).toBe(false);
      expect(wm.current).toBe(900);
      expect(wm.tick(40_001)).toBe(true);
      expect(wm.current).toBe(901);
      expect(wm.tick(45_000)).toBe(true);
      expect(wm.current).toBe(900 + 5_000);
      // The same instant twice adds nothing.
      expect(wm.tick(45_000)).toBe(false);
      expect(wm.current).toBe(5_900);
      expect(wm.snapshot().idleAdvancedTo).toBe(45_000);
    });

    it('many small ticks add up to the same as one big tick', () => {
      const a = PartitionWatermark.fresh(opts, 0);
      const b = PartitionWatermark.fresh(opts, 0);
      a.observe(1_000, 0);
      b.observe(1_000, 0);
      for (let now = 0; now <= 100_000; now += 777) a.tick(now);
      a.tick(100_000);
      b.tick(100_000);
      expect(a.current).toBe(b.current);
      expect(b.current).toBe(900 + 70_000);
    });

    it('hold: a partition that may have unread input is not idle, withdraws its declaration once, and its timeout starts again', () => {
      const wm = PartitionWatermark.fresh({ allowedLatenessMs: 5_000, idleTimeoutMs: 30_000 }, 0);
      wm.observe(15_000, 0); // watermark 10 000
      expect(wm.tick(40_000)).toBe(true);
      expect(wm.current).toBe(20_000);
      expect(wm.hold(41_000)).toBe(true);
      expect(wm.snapshot().idleAdvancedTo).toBeNull();
      expect(wm.hold(50_000)).toBe(false);
      expect(wm.isIdle(79_999)).toBe(false);
      expect(wm.tick(80_000)).toBe(false);
      expect(wm.current).toBe(20_000);
      expect(wm.tick(81_000)).toBe(true);
      expect(wm.current).toBe(21_000);
    });

    it('quiet time before readableSince is not idle: an earlier declaration is withdrawn and the timeout runs from there', () => {
      const wm = PartitionWatermark.fresh({ allowedLatenessMs: 5_000, idleTimeoutMs: 30_000 }, 0);
      wm.observe(15_000, 0); // watermark 10 000
      expect(wm.tick(40_000, 0)).toBe(true);
      expect(wm.current).toBe(20_000);
      // Not fetching from 41 s to 100 s, and no tick saw it.
      expect(wm.tick(110_000, 100_000)).toBe(true);
      expect(wm.current).toBe(20_000);
      expect(wm.snapshot().idleAdvancedTo).toBeNull();
      expect(wm.tick(120_000, 100_000)).toBe(false);
      expect(wm.tick(130_000, 100_000)).toBe(false);
      expect(wm.tick(131_000, 100_000)).toBe(true);
      expect(wm.current).toBe(21_000);
    });

    it('an empty partition withdraws its idle declaration after a gap, and declares again a timeout later', () => {
      const wm = PartitionWatermark.fresh({ allowedLatenessMs: 5_000, idleTimeoutMs: 30_000 }, 0);
      expect(wm.tick(30_001, 0)).toBe(true);
      expect(wm.tick(50_000, 45_000)).toBe(true);
      expect(wm.snapshot().idleAdvancedTo).toBeNull();
      expect(wm.tick(60_000, 45_000)).toBe(false);
      expect(wm.tick(75_001, 45_000)).toBe(true);
      expect(wm.snapshot().idleAdvancedTo).toBe(75_001);
    });

    it('isIdle after the idle timeout of wall-clock time without input', () => {
      const wm = PartitionWatermark.fresh(opts, 0);
      wm.observe(1_000, 1_000);
      expect(wm.isIdle(30_999)).toBe(false);
      expect(wm.isIdle(31_000)).toBe(true);
    });

    it('a new record ends idleness; the idle advance is kept and older records are late', () => {
      const wm = PartitionWatermark.fresh(opts, 0);
      wm.observe(1_000, 0);
      wm.tick(40_000); // +10 s
      expect(wm.current).toBe(10_900);
      expect(wm.isLate(5_000)).toBe(true);
      // A newer record whose (t - lateness) is below the advanced watermark does not move it back.
      expect(wm.observe(10_950, 40_000)).toBe(false);
      expect(wm.current).toBe(10_900);
      expect(wm.snapshot()).toMatchObject({
        maxEventTime: 10_950,
        lastInputAt: 40_000,
        idleAdvancedTo: null,
      });
      // Not idle again until another timeout has passed.
      expect(wm.tick(70_000)).toBe(false);
      expect(wm.tick(70_500)).toBe(true);
      expect(wm.current).toBe(11_400);
      // A record far ahead moves it as usual.
      expect(wm.observe(50_000, 70_500)).toBe(true);
      expect(wm.current).toBe(49_900);
    });
  });
});
