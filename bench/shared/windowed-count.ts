import { KStream, Serdes, TumblingWindows } from '@clickstream/streams';

/** What the windowed count reads from an event. */
export interface CountedEvent {
  user: string;
  n: number;
}

/**
 * Per-user count and sum of `n` in 1 min tumbling windows, emitted final to `output` (nodes
 * `<name>` and `<name>-sink`): the streams bench's topology, and a branch of the streams tests'.
 */
export function countPerUserMinute<E extends CountedEvent>(
  stream: KStream<E>,
  name: string,
  output: string,
): void {
  stream
    .windowedAggregate(name, {
      window: TumblingWindows.of(60_000),
      groupKey: (event) => event.user,
      initializer: () => ({ count: 0, sum: 0 }),
      aggregator: (total, event) => ({ count: total.count + 1, sum: total.sum + event.n }),
      emit: 'final',
    })
    .to(`${name}-sink`, {
      topic: output,
      keySerde: Serdes.string(),
      valueSerde: Serdes.json(),
      key: (record) => record.value.key,
    });
}
