import { Admin } from 'kafkajs';
import { Registry } from 'prom-client';
import { streamsMetrics } from './metrics';
import { StallMonitor } from './stall-monitor';

function monitor() {
  const registry = new Registry();
  let now = 0;
  let high = '100';
  const lines: string[] = [];
  const admin = {
    fetchTopicOffsets: async () => [{ partition: 0, low: '0', high, offset: high }],
  } as unknown as Admin;
  const m = new StallMonitor({
    processor: 'app',
    admin: () => admin,
    metrics: streamsMetrics(registry, 'svc'),
    logger: {
      info: (_o, msg) => lines.push(msg),
      warn: (_o, msg) => lines.push(msg),
      error: (_o, msg) => lines.push(msg),
    },
    stallAfterMs: 60_000,
    clock: () => now,
    refreshMs: 0,
  });
  const stalled = async () =>
    (await registry.getSingleMetric('svc_partition_stalled')!.get()).values.map((v) => [
      v.labels.partition,
      v.value,
    ]);
  return {
    m,
    lines,
    stalled,
    advance: (ms: number) => (now += ms),
    setHigh: (h: string) => (high = h),
  };
}

describe('StallMonitor', () => {
  it('flags a partition with lag whose committed offset has not moved for the timeout, and clears it when it moves', async () => {
    const { m, lines, stalled, advance } = monitor();
    m.assigned([{ topic: 'events', partition: 0 }]);
    m.committed('events-0', '40');
    advance(59_000);
    await m.check();
    expect(await stalled()).toEqual([['0', 0]]);
    advance(2000);
    await m.check();
    expect(await stalled()).toEqual([['0', 1]]);
    expect(lines).toEqual(['partition stalled']);
    m.committed('events-0', '41');
    await m.check();
    expect(await stalled()).toEqual([['0', 0]]);
    expect(lines).toEqual(['partition stalled', 'partition recovered']);
  });

  it('does not flag a partition that is caught up, however long it is quiet', async () => {
    const { m, stalled, advance } = monitor();
    m.assigned([{ topic: 'events', partition: 0 }]);
    m.committed('events-0', '100');
    advance(3_600_000);
    await m.check();
    expect(await stalled()).toEqual([['0', 0]]);
  });

  it('counts a partition never committed from the log start, and drops a partition that left', async () => {
    const { m, stalled, advance } = monitor();
    m.assigned([{ topic: 'events', partition: 0 }]);
    advance(61_000);
    await m.check();
    expect(await stalled()).toEqual([['0', 1]]);
    m.assigned([]);
    expect(await stalled()).toEqual([]);
  });
});
