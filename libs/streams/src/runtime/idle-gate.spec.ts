import { IdleGate } from './idle-gate';

describe('IdleGate', () => {
  let now = 1_000_000;
  const gate = () => new IdleGate({ fetchStaleMs: 15_000, clock: () => now });

  beforeEach(() => (now = 1_000_000));

  it('holds every partition until the consumer has completed a fetch, then reads since that fetch', () => {
    const g = gate();
    expect(g.fetching()).toBe(false);
    expect(g.readableSince('events-0', '10')).toBeNull();
    g.fetched();
    expect(g.fetching()).toBe(true);
    now += 5_000;
    g.fetched();
    expect(g.readableSince('events-0', '10')).toBe(1_000_000);
  });

  it('holds every partition once fetches stop completing, and counts from the first fetch after the gap', () => {
    const g = gate();
    g.fetched();
    now += 15_000;
    expect(g.readableSince('events-0', '10')).toBe(1_000_000);
    now += 1;
    expect(g.fetching()).toBe(false);
    expect(g.readableSince('events-0', '10')).toBeNull();
    now += 60_000; // broker down for a minute
    g.fetched();
    expect(g.readableSince('events-0', '10')).toBe(1_075_001);
  });

  it('a crash holds at once and forgets what it knew of the partitions', () => {
    const g = gate();
    g.fetched();
    g.batchEnded('events-0', '20');
    g.reset();
    expect(g.readableSince('events-0', '10')).toBeNull();
    now += 1_000;
    g.fetched();
    expect(g.readableSince('events-0', '10')).toBe(1_001_000);
  });

  it('holds a partition whose position is behind the end its last batch reported', () => {
    const g = gate();
    g.fetched();
    g.batchEnded('events-0', '12'); // records up to 10, then a transaction marker at 11
    expect(g.readableSince('events-0', '11')).toBeNull();
    expect(g.readableSince('events-1', '11')).toBe(1_000_000);
    expect(g.readableSince('events-0', '12')).toBe(1_000_000);
    expect(g.readableSince('events-0', null)).toBeNull();
  });
});
