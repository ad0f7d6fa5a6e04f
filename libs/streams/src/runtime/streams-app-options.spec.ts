import { resolveOptions, StreamsAppOptions } from './streams-app-options';

/** The commit intervals' defaults: outputs default to the interval and never wait longer. */
describe('resolveOptions: commit intervals', () => {
  const base = {} as StreamsAppOptions;
  const intervals = (o: Partial<StreamsAppOptions>) => {
    const r = resolveOptions({ ...base, ...o });
    return [r.commitIntervalMs, r.outputCommitIntervalMs];
  };

  it('defaults to 100 ms for both', () => {
    expect(intervals({})).toEqual([100, 100]);
  });

  it('gives outputs the interval unless told otherwise', () => {
    expect(intervals({ commitIntervalMs: 1000 })).toEqual([1000, 1000]);
    expect(intervals({ commitIntervalMs: 1000, outputCommitIntervalMs: 100 })).toEqual([1000, 100]);
    expect(intervals({ commitIntervalMs: 0, outputCommitIntervalMs: undefined })).toEqual([0, 0]);
  });

  it('caps the output interval at the commit interval', () => {
    expect(intervals({ commitIntervalMs: 1000, outputCommitIntervalMs: 5000 })).toEqual([
      1000, 1000,
    ]);
  });
});

/** Concurrent partitions: the default, and an unset setting (undefined) that must not erase it. */
describe('resolveOptions: partitionsConsumedConcurrently', () => {
  it('defaults to 6, also when passed as undefined', () => {
    expect(resolveOptions({} as StreamsAppOptions).partitionsConsumedConcurrently).toBe(6);
    expect(
      resolveOptions({ partitionsConsumedConcurrently: undefined } as StreamsAppOptions)
        .partitionsConsumedConcurrently,
    ).toBe(6);
  });

  it('keeps a setting of 1 (one batch at a time)', () => {
    expect(
      resolveOptions({ partitionsConsumedConcurrently: 1 } as StreamsAppOptions)
        .partitionsConsumedConcurrently,
    ).toBe(1);
  });
});

/** The dedupe filter's memory: the default (none), an unset env (undefined), and a setting. */
describe('resolveOptions: dedupeFilterMaxBytes', () => {
  const resolved = (o: Partial<StreamsAppOptions>) =>
    resolveOptions(o as StreamsAppOptions).dedupeFilterMaxBytes;

  it('defaults to 0 (no filter), also when passed as undefined, and keeps a setting', () => {
    expect(resolved({})).toBe(0);
    expect(resolved({ dedupeFilterMaxBytes: undefined })).toBe(0);
    expect(resolved({ dedupeFilterMaxBytes: 32 * 1024 * 1024 })).toBe(32 * 1024 * 1024);
  });
});
