import {
  alignDown,
  HoppingWindows,
  TimeWindow,
  TumblingWindows,
  WindowSpec,
  windowsFor,
} from './windows';
import { prng } from '../testing/prng';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const at = (h: number, m: number, s = 0, ms = 0) => Date.UTC(2024, 0, 15, h, m, s, ms);

describe('window specs', () => {
  it('TumblingWindows.of makes size == advance', () => {
    expect(TumblingWindows.of(MINUTE)).toEqual({ size: MINUTE, advance: MINUTE });
  });

  it('HoppingWindows.of keeps size and advance', () => {
    expect(HoppingWindows.of(10 * MINUTE, 5 * MINUTE)).toEqual({
      size: 10 * MINUTE,
      advance: 5 * MINUTE,
    });
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])(
    'rejects a window size of %p',
    (size) => {
      expect(() => TumblingWindows.of(size)).toThrow(RangeError);
      expect(() => HoppingWindows.of(size, 1)).toThrow(RangeError);
    },
  );

  it('rejects a hopping advance that is not a positive integer or larger than the size', () => {
    expect(() => HoppingWindows.of(10, 0)).toThrow(RangeError);
    expect(() => HoppingWindows.of(10, 2.5)).toThrow(RangeError);
    expect(() => HoppingWindows.of(10, 11)).toThrow(/must be <= size/);
  });
});

describe('alignDown', () => {
  it.each([
    [0, 60, 0],
    [59, 60, 0],
    [60, 60, 60],
    [61, 60, 60],
    [-1, 60, -60],
    [-60, 60, -60],
    [-61, 60, -120],
  ])('alignDown(%p, %p) = %p', (ts, step, expected) => {
    expect(alignDown(ts, step)).toBe(expected);
  });
});

describe('windowsFor: tumbling windows aligned to the UTC epoch', () => {
  const w = (start: number, size: number): TimeWindow => ({ start, end: start + size });

  it.each([
    ['1 min', MINUTE, at(10, 37, 12, 345), at(10, 37)],
    ['5 min', 5 * MINUTE, at(10, 37, 12, 345), at(10, 35)],
    ['1 h', HOUR, at(10, 37, 12, 345), at(10, 0)],
  ])('%s: a timestamp inside a window', (_, size, ts, start) => {
    expect(windowsFor(TumblingWindows.of(size), ts)).toEqual([w(start, size)]);
  });

  it.each([
    ['1 min', MINUTE, at(10, 38)],
    ['5 min', 5 * MINUTE, at(10, 40)],
    ['1 h', HOUR, at(11, 0)],
  ])(
    '%s: a timestamp exactly on a boundary opens the next window; 1 ms before belongs to the previous one',
    (_, size, boundary) => {
      const spec = TumblingWindows.of(size);
      expect(windowsFor(spec, boundary)).toEqual([w(boundary, size)]);
      expect(windowsFor(spec, boundary - 1)).toEqual([w(boundary - size, size)]);
    },
  );

  it('aligns to the epoch, not to the first record', () => {
    const spec = TumblingWindows.of(MINUTE);
    expect(windowsFor(spec, 0)).toEqual([w(0, MINUTE)]);
    expect(windowsFor(spec, MINUTE - 1)).toEqual([w(0, MINUTE)]);
    expect(windowsFor(spec, 1)).toEqual([w(0, MINUTE)]);
  });

  it('handles negative timestamps (before 1970)', () => {
    const spec = TumblingWindows.of(MINUTE);
    expect(windowsFor(spec, -1)).toEqual([w(-MINUTE, MINUTE)]);
    expect(windowsFor(spec, -MINUTE)).toEqual([w(-MINUTE, MINUTE)]);
    expect(windowsFor(spec, -MINUTE - 1)).toEqual([w(-2 * MINUTE, MINUTE)]);
    const oneHour = TumblingWindows.of(HOUR);
    const ts = Date.UTC(1969, 11, 31, 23, 30);
    expect(windowsFor(oneHour, ts)).toEqual([w(Date.UTC(1969, 11, 31, 23, 0), HOUR)]);
  });
});

describe('windowsFor: hopping windows', () => {
  const spec = HoppingWindows.of(10 * MINUTE, 5 * MINUTE);

  it('10 min windows advancing by 5 min: every timestamp is in two windows, oldest first', () => {
    expect(windowsFor(spec, at(10, 37))).toEqual([
      { start: at(10, 30), end: at(10, 40) },
      { start: at(10, 35), end: at(10, 45) },
    ]);
  });

  it('a timestamp exactly on an advance boundary and 1 ms before it', () => {
    expect(windowsFor(spec, at(10, 35))).toEqual([
      { start: at(10, 30), end: at(10, 40) },
      { start: at(10, 35), end: at(10, 45) },
    ]);
    expect(windowsFor(spec, at(10, 35) - 1)).toEqual([
      { start: at(10, 25), end: at(10, 35) },
      { start: at(10, 30), end: at(10, 40) },
    ]);
  });

  it('negative timestamps', () => {
    expect(windowsFor(spec, -1)).toEqual([
      { start: -10 * MINUTE, end: 0 },
      { start: -5 * MINUTE, end: 5 * MINUTE },
    ]);
    expect(windowsFor(spec, -5 * MINUTE)).toEqual([
      { start: -10 * MINUTE, end: 0 },
      { start: -5 * MINUTE, end: 5 * MINUTE },
    ]);
  });

  it('window starts stay on the advance grid when the size is not a multiple of the advance', () => {
    const odd = HoppingWindows.of(10, 3);
    // Starts are multiples of 3 whose window [start, start + 10) contains the timestamp.
    expect(windowsFor(odd, 10)).toEqual([
      { start: 3, end: 13 },
      { start: 6, end: 16 },
      { start: 9, end: 19 },
    ]);
    expect(windowsFor(odd, 9)).toEqual([
      { start: 0, end: 10 },
      { start: 3, end: 13 },
      { start: 6, end: 16 },
      { start: 9, end: 19 },
    ]);
  });

  it('property: exactly the grid windows containing the timestamp, oldest first (random specs and timestamps)', () => {
    const rnd = prng(42);
    for (let i = 0; i < 2_000; i++) {
      const advance = 1 + Math.floor(rnd() * 50);
      const size =
        advance * (rnd() < 0.5 ? 1 + Math.floor(rnd() * 4) : 1) +
        (rnd() < 0.5 ? Math.floor(rnd() * advance) : 0);
      const s: WindowSpec =
        size === advance ? TumblingWindows.of(size) : HoppingWindows.of(size, advance);
      const ts = Math.floor((rnd() - 0.5) * 100_000);
      const expected: TimeWindow[] = [];
      for (let start = alignDown(ts - size - advance, advance); start <= ts; start += advance) {
        if (start <= ts && ts < start + size) expected.push({ start, end: start + size });
      }
      expect({ size, advance, ts, windows: windowsFor(s, ts) }).toEqual({
        size,
        advance,
        ts,
        windows: expected,
      });
    }
  });
});
