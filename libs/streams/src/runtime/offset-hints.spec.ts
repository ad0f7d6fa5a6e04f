import { Consumer, TopicPartitionOffsetAndMetadata } from 'kafkajs';
import { Registry } from 'prom-client';
import { streamsMetrics } from './metrics';
import { OffsetHints } from './offset-hints';

function hints(options: { owned?: string[]; fail?: boolean; intervalMs?: number } = {}) {
  const registry = new Registry();
  const requests: TopicPartitionOffsetAndMetadata[][] = [];
  const lines: string[] = [];
  let release: () => void = () => undefined;
  let hold = false;
  const consumer = {
    commitOffsets: async (offsets: TopicPartitionOffsetAndMetadata[]) => {
      requests.push(offsets);
      if (hold) await new Promise<void>((resolve) => (release = resolve));
      if (options.fail) throw new Error('The coordinator is loading');
    },
  } as unknown as Consumer;
  const owned = new Set(options.owned ?? ['events-0', 'events-1', 'events-2']);
  const h = new OffsetHints({
    consumer: () => consumer,
    owns: (topic, partition) => owned.has(`${topic}-${partition}`),
    intervalMs: options.intervalMs ?? 60_000,
    processor: 'app',
    logger: {
      info: (_o, msg) => lines.push(msg),
      warn: (_o, msg) => lines.push(msg),
      error: (_o, msg) => lines.push(msg),
    },
    failures: streamsMetrics(registry, 'svc').offsetHintFailures,
  });
  const failures = async () =>
    (await registry.getSingleMetric('svc_offset_hint_failures_total')!.get()).values[0]?.value ?? 0;
  return {
    h,
    requests,
    lines,
    failures,
    holdNext: () => (hold = true),
    release: () => {
      hold = false;
      release();
    },
  };
}

describe('OffsetHints', () => {
  it('sends the latest offset of each partition, all in one request', async () => {
    const { h, requests } = hints();
    h.note('events', 0, '10');
    h.note('events', 1, '7');
    h.note('events', 0, '12');
    expect(requests).toEqual([]);
    await h.flush();
    expect(requests).toEqual([
      [
        { topic: 'events', partition: 0, offset: '12' },
        { topic: 'events', partition: 1, offset: '7' },
      ],
    ]);
    await h.flush();
    expect(requests).toHaveLength(1); // nothing new: no request
    h.close();
  });

  it('sends on its own once the interval has passed since the first hint', async () => {
    const { h, requests } = hints({ intervalMs: 20 });
    h.note('events', 2, '5');
    for (const deadline = Date.now() + 5000; requests.length === 0 && Date.now() < deadline;)
      await new Promise((resolve) => setTimeout(resolve, 5));
    expect(requests).toEqual([[{ topic: 'events', partition: 2, offset: '5' }]]);
    h.close();
  });

  it('drops a hint for a partition this instance no longer owns', async () => {
    const { h, requests } = hints({ owned: ['events-1'] });
    h.note('events', 0, '10');
    h.note('events', 1, '3');
    await h.flush();
    expect(requests).toEqual([[{ topic: 'events', partition: 1, offset: '3' }]]);
    h.close();
  });

  it('never has two requests out at once, so a later offset cannot be overtaken', async () => {
    const { h, requests, holdNext, release } = hints();
    holdNext();
    h.note('events', 0, '10');
    const first = h.flush();
    await new Promise((resolve) => setImmediate(resolve));
    expect(requests).toHaveLength(1); // out, not answered yet
    h.note('events', 0, '11');
    const second = h.flush();
    await new Promise((resolve) => setImmediate(resolve));
    expect(requests).toHaveLength(1);
    release();
    await Promise.all([first, second]);
    expect(requests.map((r) => r[0].offset)).toEqual(['10', '11']);
    h.close();
  });

  it('logs and counts a refused hint, and does not reject', async () => {
    const { h, lines, failures } = hints({ fail: true });
    h.note('events', 0, '10');
    await expect(h.flush()).resolves.toBeUndefined();
    expect(lines).toEqual(['kafka offset hint not committed']);
    expect(await failures()).toBe(1);
    h.close();
  });

  it('close drops what is pending', async () => {
    const { h, requests } = hints();
    h.note('events', 0, '10');
    h.close();
    await h.flush();
    expect(requests).toEqual([]);
  });
});
