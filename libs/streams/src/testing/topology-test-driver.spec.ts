import { ByteReader, ByteWriter } from '../core/byte-codec';
import { Serdes } from '../core/serde';
import { KeyValueStore } from '../core/store';
import { Topology, TopologyBuilder } from '../core/topology';
import { TumblingWindows } from '../core/windows';
import { WindowedResult } from '../core/operators/windowed-aggregate';
import { TopologyTestDriver } from './topology-test-driver';

interface Click {
  user: string;
  ts: number;
}

/** Clicks per user and 1 s window (final results), plus an echo of every record as text. */
function topology(): Topology {
  const b = new TopologyBuilder('driver-test');
  const clicks = b.stream<Click>('clicks', {
    keySerde: Serdes.string(),
    valueSerde: Serdes.json<Click>(),
    timestamp: (v) => v.ts,
  });
  const counts = clicks.windowedAggregate<number>('count', {
    window: TumblingWindows.of(1_000),
    initializer: () => 0,
    aggregator: (a) => a + 1,
    emit: 'final',
  });
  counts.to('publish', {
    topic: 'counts',
    keySerde: Serdes.string(),
    valueSerde: Serdes.json(),
    key: (r) => r.key,
  });
  counts.toTable('rows', {
    table: 'counts',
    columns: { user: 'text', start: 'bigint', count: 'integer' },
    primaryKey: ['user', 'start'],
    row: (r) => ({ user: r.value.key, start: r.value.window.start, count: r.value.value }),
  });
  clicks
    .map('as-text', (v) => `${v.user}@${v.ts}`)
    .to('echo', {
      topic: 'echo',
      keySerde: Serdes.string(),
      valueSerde: Serdes.string(),
      key: (r) => r.key,
    });
  b.stream<Click>('other', {
    keySerde: Serdes.string(),
    valueSerde: Serdes.json<Click>(),
    timestamp: (v) => v.ts,
  }).filter('none', () => false);
  return b.build();
}

const counts = (d: TopologyTestDriver) =>
  d
    .readOutput<WindowedResult<number>>('counts')
    .map((r) => [r.key, r.value.window.start, r.value.value]);

describe('TopologyTestDriver', () => {
  it('pipes objects as JSON, strings and Buffers as they are', () => {
    const d = new TopologyTestDriver(topology(), { deadLetterTopic: 'dlq' });
    d.pipe('clicks', 'a', { user: 'a', ts: 1 });
    d.pipe('clicks', 'b', '{"user":"b","ts":2}');
    d.pipe('clicks', 'c', Buffer.from('{"user":"c","ts":3}'));
    d.pipe('clicks', 'd', 'not json');
    expect(d.readOutput('echo')).toEqual([
      { key: 'a', value: 'a@1' },
      { key: 'b', value: 'b@2' },
      { key: 'c', value: 'c@3' },
    ]);
    expect(d.readOutput<{ original: string }>('dlq').map((r) => r.value.original)).toEqual([
      'not json',
    ]);
  });

  it('readOutput parses JSON values, keeps other text, and removes what it returned', () => {
    const d = new TopologyTestDriver(topology());
    d.pipe('clicks', 'a', { user: 'a', ts: 1 });
    d.pipe('clicks', 'a', { user: 'a', ts: 1_000 });
    expect(d.readOutput('counts')).toEqual([
      { key: 'a', value: { key: 'a', window: { start: 0, end: 1_000 }, value: 1, final: true } },
    ]);
    expect(d.readOutput('counts')).toEqual([]);
    expect(d.readOutput('echo').map((r) => r.value)).toEqual(['a@1', 'a@1000']);
    expect(d.readOutput('never-written')).toEqual([]);
  });

  it('pipeAll pipes in order', () => {
    const d = new TopologyTestDriver(topology());
    d.pipeAll('clicks', [
      { key: 'a', value: { user: 'a', ts: 5 } },
      { key: 'b', value: { user: 'b', ts: 6 } },
    ]);
    expect(d.readOutput('echo').map((r) => r.value)).toEqual(['a@5', 'b@6']);
  });

  it('unknown topics and partitions out of range are errors', () => {
    const d = new TopologyTestDriver(topology(), { partitions: 2 });
    expect(() => d.pipe('nope', 'a', { user: 'a', ts: 1 })).toThrow('nope is not a source topic');
    expect(() => d.pipe('clicks', 'a', { user: 'a', ts: 1 }, { partition: 2 })).toThrow(
      'partition 2 out of range',
    );
    expect(() => d.pipe('clicks', 'a', { user: 'a', ts: 1 }, { partition: -1 })).toThrow(
      /out of range/,
    );
    expect(() => d.store('no-such-store')).toThrow('no store no-such-store');
  });

  it('partitionFor is stable, in range, spreads keys, and sends null keys to 0', () => {
    const d = new TopologyTestDriver(topology(), { partitions: 3 });
    const seen = new Set<number>();
    for (let i = 0; i < 50; i++) {
      const p = d.partitionFor(`user-${i}`);
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThan(3);
      expect(d.partitionFor(`user-${i}`)).toBe(p);
      seen.add(p);
    }
    expect(seen.size).toBe(3);
    expect(d.partitionFor(null)).toBe(0);
    expect(new TopologyTestDriver(topology()).partitionFor('anything')).toBe(0);
  });

  it('records of a key go to its partition; stores and watermarks are per partition', () => {
    const d = new TopologyTestDriver(topology(), { partitions: 3 });
    const keys = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7'];
    keys.forEach((k, i) => d.pipe('clicks', k, { user: k, ts: 100 * (i + 1) }));
    for (let p = 0; p < 3; p++) {
      const mine = keys.filter((k) => d.partitionFor(k) === p);
      const store = d.store<{ k: string }>('count-store', p);
      expect([...store.values()].map((v) => v.k).sort()).toEqual(mine.sort());
      const maxTs = Math.max(
        ...keys.map((k, i) => (d.partitionFor(k) === p ? 100 * (i + 1) : Number.NEGATIVE_INFINITY)),
      );
      expect(d.watermark(p)).toBe(mine.length ? maxTs : null);
    }
    // An explicit partition overrides the partitioner.
    d.pipe(
      'clicks',
      'k0',
      { user: 'k0', ts: 5_000 },
      { partition: (d.partitionFor('k0') + 1) % 3 },
    );
    expect(d.watermark((d.partitionFor('k0') + 1) % 3)).toBe(5_000);
  });

  it('the watermark is null before the first record and per source topic', () => {
    const d = new TopologyTestDriver(topology(), { allowedLatenessMs: 100 });
    expect(d.watermark()).toBeNull();
    d.pipe('clicks', 'a', { user: 'a', ts: 1_000 });
    expect(d.watermark()).toBe(900);
    expect(d.watermark(0, 'other')).toBeNull();
  });

  it('store returns a copy of the current entries', () => {
    const d = new TopologyTestDriver(topology());
    d.pipe('clicks', 'a', { user: 'a', ts: 1 });
    const copy = d.store('count-store');
    copy.clear();
    expect(d.store('count-store').size).toBe(1);
  });

  it('readTable returns the current rows of a table sink', () => {
    const d = new TopologyTestDriver(topology());
    expect(d.readTable('counts')).toEqual([]);
    for (const ts of [1, 2, 1_500, 3_000]) d.pipe('clicks', 'a', { user: 'a', ts });
    expect(d.readTable('counts')).toEqual([
      { user: 'a', start: 0, count: 2 },
      { user: 'a', start: 1_000, count: 1 },
    ]);
  });

  it('advanceWallClock ticks every partition: only idle ones move', () => {
    const d = new TopologyTestDriver(topology(), { partitions: 2, idleTimeoutMs: 1_000 });
    d.pipe('clicks', 'x', { user: 'x', ts: 100 }, { partition: 0 });
    d.pipe('clicks', 'y', { user: 'y', ts: 100 }, { partition: 1 });
    d.advanceWallClock(900);
    d.pipe('clicks', 'x', { user: 'x', ts: 200 }, { partition: 0 });
    d.advanceWallClock(900); // wall 1 800: partition 1 idle since 1 000, partition 0 active
    expect(d.watermark(0)).toBe(200);
    expect(d.watermark(1)).toBe(100 + 800);
    expect(counts(d)).toEqual([]);
    d.advanceWallClock(200); // partition 1: +200 -> 1 100 closes y's [0, 1 s)
    expect(counts(d)).toEqual([['y', 0, 1]]);
    expect(d.watermark(0)).toBe(200 + 100);
  });

  it('the initial wall clock and the defaults (no lateness, 2 retries)', () => {
    let calls = 0;
    const b = new TopologyBuilder('defaults');
    b.stream<Click>('clicks', {
      keySerde: Serdes.string(),
      valueSerde: Serdes.json<Click>(),
      timestamp: (v) => v.ts,
    }).peek('fail', () => {
      calls++;
      throw new Error('x');
    });
    const d = new TopologyTestDriver(b.build(), {
      deadLetterTopic: 'dlq',
      lateTopic: 'late',
      wallClock: 1_234,
    });
    d.pipe('clicks', 'a', { user: 'a', ts: 10 });
    expect(calls).toBe(3);
    expect(d.readOutput<{ failed_at: string }>('dlq')[0].value.failed_at).toBe(
      new Date(1_234).toISOString(),
    );
  });

  it('dead-letters a record whose state cannot be encoded at its commit, as the runtime isolates it', () => {
    // A running sum stored as a varint, which holds safe integers only.
    const b = new TopologyBuilder('driver-encoding-test');
    b.stream<{ user: string; ts: number; n: number }>('amounts', {
      keySerde: Serdes.string(),
      valueSerde: Serdes.json(),
      timestamp: (v) => v.ts,
    }).process({
      name: 'sum',
      stores: ['sum-store'],
      create: (ctx) => {
        const store: KeyValueStore<{ sum: number; storedForm(): Uint8Array } | Uint8Array> =
          ctx.store('sum-store');
        const sumOf = (v: { sum: number } | Uint8Array | undefined) =>
          v === undefined ? 0 : v instanceof Uint8Array ? new ByteReader(v, 1).uint() : v.sum;
        return {
          process: (rec) => {
            const v = rec.value as { user: string; n: number };
            const sum = sumOf(store.get(v.user)) + v.n;
            store.put(v.user, {
              sum,
              storedForm: () => {
                const out = new ByteWriter();
                out.byte(0);
                out.uint(sum);
                return out.bytes();
              },
            });
          },
        };
      },
    });
    const d = new TopologyTestDriver(b.build(), { deadLetterTopic: 'dlq' });
    d.pipeAll('amounts', [
      { key: 'a', value: { user: 'a', ts: 1, n: 5 } },
      { key: 'a', value: { user: 'a', ts: 2, n: 2 ** 60 } },
      { key: 'a', value: { user: 'a', ts: 3, n: 1 } },
    ]);
    expect(d.readOutput<{ reason: string; offset: string; message: string }>('dlq')).toEqual([
      {
        key: 'a',
        value: expect.objectContaining({
          reason: 'storage_rejected',
          offset: '1',
          message: expect.stringMatching(
            /^store sum-store: the value of key "a" cannot be stored: .*\(STATE_ENCODING_FAILED\)$/,
          ),
        }),
      },
    ]);
    const stored = d.store<Uint8Array>('sum-store').get('a')!;
    expect(new ByteReader(stored, 1).uint()).toBe(6);
  });

  describe('restart', () => {
    it('keeps the outputs so far and restores stores and watermarks from what was committed', () => {
      const d = new TopologyTestDriver(topology(), { partitions: 2, allowedLatenessMs: 500 });
      for (const [k, ts] of [
        ['a', 100],
        ['b', 200],
        ['a', 1_600],
        ['b', 300],
      ] as Array<[string, number]>)
        d.pipe('clicks', k, { user: k, ts });
      const stores = [0, 1].map((p) => d.store('count-store', p));
      const watermarks = [0, 1].map((p) => d.watermark(p));
      d.restart();
      expect([0, 1].map((p) => d.store('count-store', p))).toEqual(stores);
      expect([0, 1].map((p) => d.watermark(p))).toEqual(watermarks);
      expect(d.readOutput('echo')).toHaveLength(4);
    });

    it('continues at the next offset: nothing is processed twice, nothing is lost', () => {
      const run = (restartAt: number[]) => {
        const d = new TopologyTestDriver(topology(), { deadLetterTopic: 'dlq' });
        for (let i = 0; i < 30; i++) {
          d.pipe('clicks', `u${i % 2}`, i === 11 ? '{' : { user: `u${i % 2}`, ts: i * 250 });
          if (restartAt.includes(i)) d.restart();
        }
        d.pipe('clicks', 'end', { user: 'end', ts: 100_000 });
        return {
          counts: counts(d),
          echo: d.readOutput('echo'),
          dlq: d.readOutput<{ offset: string }>('dlq').map((r) => r.value.offset),
          rows: d.readTable('counts'),
        };
      };
      const straight = run([]);
      const restarted = run([0, 5, 11, 12, 20, 29]);
      expect(restarted).toEqual(straight);
      expect(straight.dlq).toEqual(['11']);
      expect(straight.echo).toHaveLength(30);
      expect(straight.counts.reduce((n, [, , c]) => n + (c as number), 0)).toBe(29);
    });

    it('rebuilds tasks from a snapshot: later processing does not reach back into the committed state', () => {
      const d = new TopologyTestDriver(topology());
      d.pipe('clicks', 'a', { user: 'a', ts: 1 });
      d.restart();
      d.pipe('clicks', 'a', { user: 'a', ts: 2 });
      d.pipe('clicks', 'a', { user: 'a', ts: 3 });
      d.restart();
      d.pipe('clicks', 'a', { user: 'a', ts: 1_000 });
      expect(counts(d)).toEqual([['a', 0, 3]]);
    });
  });
});
