import { Serdes } from './serde';
import { TopologyBuilder } from './topology';
import { TumblingWindows } from './windows';
import { TopologyTestDriver } from '../testing/topology-test-driver';
import { WindowedResult } from './operators/windowed-aggregate';

describe('chained stateful nodes', () => {
  it('close upstream before downstream: 1 min finals roll up into one exact 5 min final', () => {
    const b = new TopologyBuilder('chain');
    b.stream<{ ts: number }>('in', {
      keySerde: Serdes.string(),
      valueSerde: Serdes.json(),
      timestamp: (v) => v.ts,
    })
      .windowedAggregate('chain-window-1m', {
        window: TumblingWindows.of(60_000),
        initializer: () => 0,
        aggregator: (a) => a + 1,
        emit: 'final',
      })
      .windowedAggregate<number>('chain-window-5m', {
        window: TumblingWindows.of(300_000),
        initializer: () => 0,
        aggregator: (a, v: WindowedResult<number>) => a + v.value,
        emit: 'final',
      })
      .to('chain-sink', {
        topic: 'out',
        keySerde: Serdes.string(),
        valueSerde: Serdes.json(),
        key: (r) => r.value.key,
      });
    const driver = new TopologyTestDriver(b.build());

    for (let i = 0; i < 10; i++) driver.pipe('in', 'k', { ts: i * 30_000 }); // 0..4:30 → five 1 min windows
    driver.pipe('in', 'k', { ts: 300_000 }); // reaches 5:00: closes every 1 min window and then the 5 min one

    const out = driver.readOutput<WindowedResult<number>>('out');
    expect(out.map((r) => [r.value.window.start, r.value.value])).toEqual([[0, 10]]);
  });
});
