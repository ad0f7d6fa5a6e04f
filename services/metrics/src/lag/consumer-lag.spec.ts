import { consumerLag, PartitionEnds } from './consumer-lag';

const ends: PartitionEnds[] = [
  { topic: 'events', partition: 0, low: 0n, high: 100n },
  { topic: 'events', partition: 1, low: 10n, high: 50n },
  { topic: 'other', partition: 0, low: 0n, high: 7n },
];

describe('consumerLag', () => {
  it('is end − committed per partition of the topics a group committed on', () => {
    const lags = consumerLag(
      [
        { group: 'g', topic: 'events', partition: 0, offset: 100n },
        { group: 'g', topic: 'events', partition: 1, offset: 20n },
      ],
      ends,
    );
    expect(lags).toEqual([
      { group: 'g', topic: 'events', partition: 0, current: 100n, lag: 0n },
      { group: 'g', topic: 'events', partition: 1, current: 20n, lag: 30n },
    ]);
  });

  it('a partition without a commit (or a null one) counts from the log start', () => {
    const lags = consumerLag([{ group: 'g', topic: 'events', partition: 0, offset: null }], ends);
    expect(lags).toEqual([
      { group: 'g', topic: 'events', partition: 0, current: 0n, lag: 100n },
      { group: 'g', topic: 'events', partition: 1, current: 10n, lag: 40n },
    ]);
  });

  it('is never negative and ignores topics without known ends', () => {
    const lags = consumerLag(
      [
        { group: 'g', topic: 'other', partition: 0, offset: 9n },
        { group: 'h', topic: 'gone', partition: 0, offset: 1n },
      ],
      ends,
    );
    expect(lags).toEqual([{ group: 'g', topic: 'other', partition: 0, current: 9n, lag: 0n }]);
  });
});
