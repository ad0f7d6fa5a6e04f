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
