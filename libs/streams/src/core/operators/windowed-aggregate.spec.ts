import { TopologyTestDriver } from '../../testing/topology-test-driver';
import { Serdes } from '../serde';
import { Topology, TopologyBuilder } from '../topology';
import { HoppingWindows, TumblingWindows, WindowSpec, windowsFor } from '../windows';
import { WindowedResult } from './windowed-aggregate';
import { prng } from '../../testing/prng';

/* A tiny click counter: per user and event-time window, count and sum of `n`. */

interface Click {
  user: string;
  ts: number;
  n?: number;
}
interface Counts {
  count: number;
  sum: number;
}
interface Row {
  user: string;
  window_start: number;
  window_end: number;
  count: number;
  sum: number;
  final: boolean;
}

const MIN = 60_000;

function clickCounter(
  o: {
    window?: WindowSpec;
    emit?: 'update' | 'final';
    groupKey?: (v: Click) => string;
    aggregator?: (a: Counts, v: Click) => Counts;
  } = {},
): Topology {
  const b = new TopologyBuilder('click-counter');
  const counts = b
    .stream<Click>('clicks', {
      keySerde: Serdes.string(),
      valueSerde: Serdes.json<Click>(),
      timestamp: (v) => v.ts,
    })
    .windowedAggregate<Counts>('count', {
      window: o.window ?? TumblingWindows.of(MIN),
      groupKey: o.groupKey,
      initializer: () => ({ count: 0, sum: 0 }),
      aggregator: o.aggregator ?? ((a, v) => ({ count: a.count + 1, sum: a.sum + (v.n ?? 1) })),
      emit: o.emit ?? 'final',
    });
  counts.to('publish', {
    topic: 'counts',
    keySerde: Serdes.string(),
    valueSerde: Serdes.json(),
    key: (r) => r.key,
  });
  counts.toTable('rows', {
    table: 'counts',
    columns: {
      user: 'text',
      window_start: 'bigint',
      window_end: 'bigint',
      count: 'integer',
      sum: 'bigint',
      final: 'boolean',
    },
    primaryKey: ['user', 'window_start'],
    row: (r) => ({
      user: r.value.key,
      window_start: r.value.window.start,
      window_end: r.value.window.end,
      count: r.value.value.count,
      sum: r.value.value.sum,
      final: r.value.final,
    }),
  });
  return b.build();
}

type Out = WindowedResult<Counts>;
const byWindow = (
  a: { key: string; window: { start: number } },
  b: { key: string; window: { start: number } },
) => a.window.start - b.window.start || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
const byRow = (a: Row, b: Row) =>
  a.window_start - b.window_start || (a.user < b.user ? -1 : a.user > b.user ? 1 : 0);

function readCounts(driver: TopologyTestDriver): Out[] {
  return driver.readOutput<Out>('counts').map((r) => r.value);
}
function finalsOf(outs: Out[]): Out[] {
  return outs.filter((o) => o.final).sort(byWindow);
}

/** A few hundred clicks of a few users, in event-time order. */
function clicks(seed: number, count = 400): Click[] {
  const rnd = prng(seed);
  const out: Click[] = [];
  let t = 1_700_000_000_000 + Math.floor(rnd() * MIN);
  for (let i = 0; i < count; i++) {
    t += Math.floor(rnd() * 900);
    out.push({ user: `user-${Math.floor(rnd() * 6)}`, ts: t, n: 1 + Math.floor(rnd() * 9) });
  }
  return out;
}

/** Shuffles records so that none is more than `latenessMs` behind the max event time seen before it. */
function shuffleWithinLateness<T extends { ts: number }>(
  records: T[],
  latenessMs: number,
  seed: number,
): T[] {
  const rnd = prng(seed);
  return records
    .map((r) => ({ r, k: r.ts + Math.floor(rnd() * latenessMs) }))
    .sort((a, b) => a.k - b.k)
    .map((x) => x.r);
}

/** What the windows must hold, computed without the operator. */
function oracle(records: Click[], spec: WindowSpec): Out[] {
  const m = new Map<string, Out>();
  for (const r of records) {
    for (const w of windowsFor(spec, r.ts)) {
      const id = `${r.user}|${w.start}`;
      const cur = m.get(id) ?? { key: r.user, window: w, value: { count: 0, sum: 0 }, final: true };
      cur.value = { count: cur.value.count + 1, sum: cur.value.sum + (r.n ?? 1) };
      m.set(id, cur);
    }
  }
  return [...m.values()].sort(byWindow);
}

const IDLE = 30_000;

/** Pipes the records, then lets the partitions go idle long enough to close everything. */
function runToEnd(
  topology: Topology,
  records: Click[],
  o: { partitions?: number; latenessMs: number; restartEvery?: number },
) {
  const driver = new TopologyTestDriver(topology, {
    partitions: o.partitions,
    allowedLatenessMs: o.latenessMs,
    idleTimeoutMs: IDLE,
    lateTopic: 'late',
  });
  records.forEach((r, i) => {
    driver.pipe('clicks', r.user, r);
    if (o.restartEvery && (i + 1) % o.restartEvery === 0) driver.restart();
  });
  const beforeIdle = readCounts(driver);
  driver.advanceWallClock(IDLE + 10 * 24 * 3_600_000);
  const outs = [...beforeIdle, ...readCounts(driver)];
  const stores = Array.from(
    { length: o.partitions ?? 1 },
    (_, p) => driver.store('count-store', p).size,
  );
  return {
    driver,
    outs,
    finals: finalsOf(outs),
    rows: driver.readTable<Row>('counts').sort(byRow),
    late: driver.readOutput('late'),
    stores,
  };
}

describe('windowed aggregate: tumbling windows', () => {
  it('a window becomes final when the watermark reaches its end, not before, and is emitted exactly once', () => {
    const driver = new TopologyTestDriver(clickCounter(), { allowedLatenessMs: 0 });
    driver.pipe('clicks', 'alice', { user: 'alice', ts: 0 });
    driver.pipe('clicks', 'alice', { user: 'alice', ts: 30_000 });
    driver.pipe('clicks', 'alice', { user: 'alice', ts: MIN - 1 });
    expect(driver.watermark()).toBe(MIN - 1);
    expect(readCounts(driver)).toEqual([]);
    expect(driver.store('count-store').size).toBe(1);

    driver.pipe('clicks', 'alice', { user: 'alice', ts: MIN }); // watermark == end of [0, 60 s)
    expect(readCounts(driver)).toEqual([
      { key: 'alice', window: { start: 0, end: MIN }, value: { count: 3, sum: 3 }, final: true },
    ]);

    driver.pipe('clicks', 'alice', { user: 'alice', ts: MIN + 1 });
    driver.pipe('clicks', 'alice', { user: 'alice', ts: 2 * MIN - 1 });
    expect(readCounts(driver)).toEqual([]);
    driver.pipe('clicks', 'alice', { user: 'alice', ts: 5 * MIN });
    expect(readCounts(driver)).toEqual([
      {
        key: 'alice',
        window: { start: MIN, end: 2 * MIN },
        value: { count: 3, sum: 3 },
        final: true,
      },
    ]);
  });

  it('with allowed lateness the window closes when max event time - lateness reaches its end', () => {
    const driver = new TopologyTestDriver(clickCounter(), { allowedLatenessMs: 5_000 });
    driver.pipe('clicks', 'bob', { user: 'bob', ts: 10_000 });
    driver.pipe('clicks', 'bob', { user: 'bob', ts: MIN + 4_999 });
    expect(driver.watermark()).toBe(MIN - 1);
    expect(readCounts(driver)).toEqual([]);
    // Still on time for the open window: exactly at the watermark.
    driver.pipe('clicks', 'bob', { user: 'bob', ts: MIN - 1 });
    driver.pipe('clicks', 'bob', { user: 'bob', ts: MIN + 5_000 });
    expect(driver.watermark()).toBe(MIN);
    expect(readCounts(driver)).toEqual([
      { key: 'bob', window: { start: 0, end: MIN }, value: { count: 2, sum: 2 }, final: true },
    ]);
  });

  it('keys are aggregated separately and closed windows are emitted in key order', () => {
    const driver = new TopologyTestDriver(clickCounter());
    driver.pipe('clicks', 'bob', { user: 'bob', ts: 1, n: 5 });
    driver.pipe('clicks', 'alice', { user: 'alice', ts: 2, n: 7 });
    driver.pipe('clicks', 'bob', { user: 'bob', ts: 3, n: 1 });
    driver.pipe('clicks', 'carol', { user: 'carol', ts: MIN });
    expect(readCounts(driver)).toEqual([
      { key: 'alice', window: { start: 0, end: MIN }, value: { count: 1, sum: 7 }, final: true },
      { key: 'bob', window: { start: 0, end: MIN }, value: { count: 2, sum: 6 }, final: true },
    ]);
  });

  it('groupKey overrides the record key', () => {
    const driver = new TopologyTestDriver(clickCounter({ groupKey: () => 'everyone' }));
    driver.pipe('clicks', 'bob', { user: 'bob', ts: 1 });
    driver.pipe('clicks', 'alice', { user: 'alice', ts: 2 });
    driver.pipe('clicks', 'x', { user: 'x', ts: MIN });
    expect(readCounts(driver)).toEqual([
      { key: 'everyone', window: { start: 0, end: MIN }, value: { count: 2, sum: 2 }, final: true },
    ]);
  });

  it("emit 'update' emits every change with final=false, then the result once with final=true", () => {
    const driver = new TopologyTestDriver(clickCounter({ emit: 'update' }));
    driver.pipe('clicks', 'alice', { user: 'alice', ts: 1_000, n: 2 });
    driver.pipe('clicks', 'alice', { user: 'alice', ts: 2_000, n: 3 });
    driver.pipe('clicks', 'alice', { user: 'alice', ts: 3_000, n: 4 });
    const w = { start: 0, end: MIN };
    expect(readCounts(driver)).toEqual([
      { key: 'alice', window: w, value: { count: 1, sum: 2 }, final: false },
      { key: 'alice', window: w, value: { count: 2, sum: 5 }, final: false },
      { key: 'alice', window: w, value: { count: 3, sum: 9 }, final: false },
    ]);
    expect(driver.readTable<Row>('counts')).toEqual([
      { user: 'alice', window_start: 0, window_end: MIN, count: 3, sum: 9, final: false },
    ]);
    driver.pipe('clicks', 'alice', { user: 'alice', ts: MIN + 1 });
    expect(readCounts(driver)).toEqual([
      {
        key: 'alice',
        window: { start: MIN, end: 2 * MIN },
        value: { count: 1, sum: 1 },
        final: false,
      },
      { key: 'alice', window: w, value: { count: 3, sum: 9 }, final: true },
    ]);
    expect(driver.readTable<Row>('counts').sort(byRow)).toEqual([
      { user: 'alice', window_start: 0, window_end: MIN, count: 3, sum: 9, final: true },
      { user: 'alice', window_start: MIN, window_end: 2 * MIN, count: 1, sum: 1, final: false },
    ]);
    driver.pipe('clicks', 'alice', { user: 'alice', ts: 10 * MIN });
    expect(readCounts(driver).filter((o) => o.final && o.window.start === 0)).toEqual([]);
  });

  it('windows are aligned to the UTC epoch, not to the first record', () => {
    const t0 = Date.UTC(2024, 0, 15, 10, 37, 12, 345);
    const driver = new TopologyTestDriver(clickCounter({ window: TumblingWindows.of(5 * MIN) }));
    driver.pipe('clicks', 'a', { user: 'a', ts: t0 });
    driver.pipe('clicks', 'a', { user: 'a', ts: Date.UTC(2024, 0, 15, 10, 40) });
    expect(readCounts(driver)).toEqual([
      {
        key: 'a',
        window: { start: Date.UTC(2024, 0, 15, 10, 35), end: Date.UTC(2024, 0, 15, 10, 40) },
        value: { count: 1, sum: 1 },
        final: true,
      },
    ]);
  });

  it('windows before 1970 (negative timestamps) work the same', () => {
    const driver = new TopologyTestDriver(clickCounter());
    driver.pipe('clicks', 'a', { user: 'a', ts: -MIN - 1 });
    driver.pipe('clicks', 'a', { user: 'a', ts: -MIN });
    driver.pipe('clicks', 'a', { user: 'a', ts: -1 });
    driver.pipe('clicks', 'a', { user: 'a', ts: 0 });
    expect(readCounts(driver)).toEqual([
      {
        key: 'a',
        window: { start: -2 * MIN, end: -MIN },
        value: { count: 1, sum: 1 },
        final: true,
      },
      { key: 'a', window: { start: -MIN, end: 0 }, value: { count: 2, sum: 2 }, final: true },
    ]);
  });
});

describe('windowed aggregate: hopping windows', () => {
  const spec = HoppingWindows.of(10 * MIN, 5 * MIN);

  it('a record counts in every window containing it; each window closes at its own end, once', () => {
    const driver = new TopologyTestDriver(clickCounter({ window: spec }));
    driver.pipe('clicks', 'a', { user: 'a', ts: 7 * MIN }); // [0,10) and [5,15)
    driver.pipe('clicks', 'a', { user: 'a', ts: 9 * MIN }); // [0,10) and [5,15)
    driver.pipe('clicks', 'a', { user: 'a', ts: 12 * MIN }); // [5,15) and [10,20); closes [0,10)
    expect(readCounts(driver)).toEqual([
      { key: 'a', window: { start: 0, end: 10 * MIN }, value: { count: 2, sum: 2 }, final: true },
    ]);
    driver.pipe('clicks', 'a', { user: 'a', ts: 15 * MIN - 1 });
    expect(readCounts(driver)).toEqual([]);
    driver.pipe('clicks', 'a', { user: 'a', ts: 15 * MIN });
    expect(readCounts(driver)).toEqual([
      {
        key: 'a',
        window: { start: 5 * MIN, end: 15 * MIN },
        value: { count: 4, sum: 4 },
        final: true,
      },
    ]);
    driver.pipe('clicks', 'a', { user: 'a', ts: 60 * MIN });
    expect(readCounts(driver)).toEqual([
      {
        key: 'a',
        window: { start: 10 * MIN, end: 20 * MIN },
        value: { count: 3, sum: 3 },
        final: true,
      },
      {
        key: 'a',
        window: { start: 15 * MIN, end: 25 * MIN },
        value: { count: 1, sum: 1 },
        final: true,
      },
    ]);
  });

  it("emit 'update' emits one change per window the record falls in", () => {
    const driver = new TopologyTestDriver(clickCounter({ window: spec, emit: 'update' }));
    driver.pipe('clicks', 'a', { user: 'a', ts: 7 * MIN });
    expect(readCounts(driver)).toEqual([
      { key: 'a', window: { start: 0, end: 10 * MIN }, value: { count: 1, sum: 1 }, final: false },
      {
        key: 'a',
        window: { start: 5 * MIN, end: 15 * MIN },
        value: { count: 1, sum: 1 },
        final: false,
      },
    ]);
  });

  it('a throwing aggregator leaves no window half-updated', () => {
    let calls = 0;
    const driver = new TopologyTestDriver(
      clickCounter({
        window: spec,
        aggregator: (a, v) => {
          calls++;
          // The record with n = 13 fails in its second window (the one that already has 2), always.
          if (v.n === 13 && a.count === 2) throw new Error('boom');
          return { count: a.count + 1, sum: a.sum + (v.n ?? 1) };
        },
      }),
      { deadLetterTopic: 'dlq', maxRetries: 1, allowedLatenessMs: 10 * MIN },
    );
    driver.pipe('clicks', 'a', { user: 'a', ts: 12 * MIN }); // [5,15) and [10,20)
    driver.pipe('clicks', 'a', { user: 'a', ts: 8 * MIN }); // [0,10) (new) and [5,15) (count 1)
    calls = 0;
    driver.pipe('clicks', 'a', { user: 'a', ts: 9 * MIN, n: 13 }); // [0,10) has 1: fine; [5,15) has 2: throws
    expect(calls).toBe(4); // 2 windows, first attempt + 1 retry
    expect(driver.readOutput<{ reason: string }>('dlq').map((d) => d.value.reason)).toEqual([
      'processing_failed',
    ]);
    const store = driver.store<{ a: Counts }>('count-store');
    expect([...store.values()].map((v) => v.a.count).sort()).toEqual([1, 1, 2]);
    driver.pipe('clicks', 'a', { user: 'a', ts: 200 * MIN });
    expect(readCounts(driver).map((o) => [o.window.start / MIN, o.value.count])).toEqual([
      [0, 1],
      [5, 2],
      [10, 1],
    ]);
  });
});

describe('windowed aggregate: late events', () => {
  const LATENESS = 5_000;
  const stream: Click[] = [
    { user: 'a', ts: 10_000 },
    { user: 'a', ts: 20_000 },
    { user: 'b', ts: 21_000 },
    { user: 'a', ts: 30_000 }, // watermark 25 000
    { user: 'b', ts: 26_000 },
    { user: 'a', ts: 70_000 }, // watermark 65 000: [0, 60 s) closes
    { user: 'b', ts: 66_000 },
  ];
  const lateRecord: Click = { user: 'a', ts: 24_999, n: 100 };

  function run(withLate: boolean, emit: 'update' | 'final') {
    const driver = new TopologyTestDriver(clickCounter({ emit }), {
      allowedLatenessMs: LATENESS,
      lateTopic: 'late',
      wallClock: Date.UTC(2024, 0, 1),
    });
    stream.forEach((r, i) => {
      driver.pipe('clicks', r.user, r);
      if (withLate && i === 3) driver.pipe('clicks', lateRecord.user, lateRecord);
    });
    return driver;
  }

  it.each(['final', 'update'] as const)(
    'an event older than the watermark goes to the late topic and changes nothing (emit %s)',
    (emit) => {
      const withLate = run(true, emit);
      const without = run(false, emit);
      const late = withLate.readOutput<Record<string, unknown>>('late');
      expect(late).toEqual([
        {
          key: 'a',
          value: {
            processor: 'click-counter',
            reason: 'behind_watermark',
            event: lateRecord,
            event_time: new Date(24_999).toISOString(),
            watermark: new Date(25_000).toISOString(),
            lateness_ms: 1,
            detected_at: new Date(Date.UTC(2024, 0, 1)).toISOString(),
            source: { topic: 'clicks', partition: 0, offset: '4' },
          },
        },
      ]);
      expect(without.readOutput('late')).toEqual([]);
      // Identical results, tables, stores and watermark.
      expect(readCounts(withLate)).toEqual(readCounts(without));
      expect(withLate.readTable('counts')).toEqual(without.readTable('counts'));
      expect(withLate.store('count-store')).toEqual(without.store('count-store'));
      expect(withLate.watermark()).toBe(without.watermark());
    },
  );

  it('an event exactly at the watermark is on time', () => {
    const driver = new TopologyTestDriver(clickCounter(), {
      allowedLatenessMs: LATENESS,
      lateTopic: 'late',
    });
    driver.pipe('clicks', 'a', { user: 'a', ts: 30_000 });
    driver.pipe('clicks', 'a', { user: 'a', ts: 25_000 });
    driver.pipe('clicks', 'a', { user: 'a', ts: 24_999 });
    expect(driver.readOutput('late')).toHaveLength(1);
    driver.pipe('clicks', 'a', { user: 'a', ts: 65_000 });
    expect(readCounts(driver)).toEqual([
      { key: 'a', window: { start: 0, end: MIN }, value: { count: 2, sum: 2 }, final: true },
    ]);
  });

  it('a record for an already closed window is late and does not re-open it', () => {
    const driver = new TopologyTestDriver(clickCounter(), {
      allowedLatenessMs: 0,
      lateTopic: 'late',
    });
    driver.pipe('clicks', 'a', { user: 'a', ts: 1_000 });
    driver.pipe('clicks', 'a', { user: 'a', ts: MIN });
    expect(readCounts(driver)).toHaveLength(1);
    driver.pipe('clicks', 'a', { user: 'a', ts: 2_000 });
    expect(driver.readOutput('late')).toHaveLength(1);
    driver.pipe('clicks', 'a', { user: 'a', ts: 10 * MIN });
    expect(readCounts(driver).map((o) => o.window.start)).toEqual([MIN]);
  });
});

describe('windowed aggregate: idle partitions', () => {
  function quietStream() {
    const driver = new TopologyTestDriver(clickCounter(), {
      allowedLatenessMs: 10_000,
      idleTimeoutMs: IDLE,
    });
    driver.pipe('clicks', 'a', { user: 'a', ts: 1_000 });
    driver.pipe('clicks', 'a', { user: 'a', ts: 50_000 }); // watermark 40 000; the window ends at 60 000
    return driver;
  }

  it('less than the idle timeout of wall-clock time closes nothing; past it plus the distance to the window end, the window is emitted exactly once', () => {
    const driver = quietStream();
    driver.advanceWallClock(IDLE - 1);
    expect(driver.watermark()).toBe(40_000);
    driver.advanceWallClock(1); // exactly the idle timeout: not yet idle time to add
    expect(driver.watermark()).toBe(40_000);
    expect(readCounts(driver)).toEqual([]);
    driver.advanceWallClock(19_999);
    expect(driver.watermark()).toBe(59_999);
    expect(readCounts(driver)).toEqual([]);
    expect(driver.store('count-store').size).toBe(1);
    driver.advanceWallClock(1);
    expect(driver.watermark()).toBe(60_000);
    expect(readCounts(driver)).toEqual([
      { key: 'a', window: { start: 0, end: MIN }, value: { count: 2, sum: 2 }, final: true },
    ]);
    expect(driver.store('count-store').size).toBe(0);
    driver.advanceWallClock(24 * 3_600_000);
    expect(readCounts(driver)).toEqual([]);
  });

  it('many small clock steps close the window exactly once too', () => {
    const driver = quietStream();
    const outs: Out[] = [];
    for (let i = 0; i < 600; i++) {
      driver.advanceWallClock(250);
      outs.push(...readCounts(driver));
    }
    expect(driver.watermark()).toBe(40_000 + 600 * 250 - IDLE);
    expect(outs).toEqual([
      { key: 'a', window: { start: 0, end: MIN }, value: { count: 2, sum: 2 }, final: true },
    ]);
  });

  it('input resets the idle timer', () => {
    const driver = quietStream();
    driver.advanceWallClock(IDLE - 1);
    driver.pipe('clicks', 'a', { user: 'a', ts: 50_001 });
    driver.advanceWallClock(IDLE - 1);
    expect(driver.watermark()).toBe(40_001);
    expect(readCounts(driver)).toEqual([]);
  });
});

describe('windowed aggregate: out-of-order input within the allowed lateness', () => {
  const LATENESS = 3_000;
  const input = clicks(2024);
  const cases: Array<[string, WindowSpec, 'final' | 'update']> = [
    ['tumbling 1 s, final', TumblingWindows.of(1_000), 'final'],
    ['tumbling 1 s, update', TumblingWindows.of(1_000), 'update'],
    ['tumbling 5 s, final', TumblingWindows.of(5_000), 'final'],
    ['hopping 4 s / 1 s, update', HoppingWindows.of(4_000, 1_000), 'update'],
  ];

  it('the shuffle really is out of order, and within the lateness bound', () => {
    const shuffled = shuffleWithinLateness(input, LATENESS, 7);
    let inversions = 0;
    let max = Number.NEGATIVE_INFINITY;
    for (const r of shuffled) {
      if (r.ts < max) inversions++;
      expect(r.ts).toBeGreaterThanOrEqual(max - LATENESS);
      max = Math.max(max, r.ts);
    }
    expect(inversions).toBeGreaterThan(input.length / 4);
  });

  it.each(cases)(
    '%s: a seeded shuffle gives exactly the in-order result (sink topic and table)',
    (_, spec, emit) => {
      const topology = clickCounter({ window: spec, emit });
      const sorted = runToEnd(topology, input, { latenessMs: LATENESS });
      const expected = oracle(input, spec);
      expect(sorted.finals).toEqual(expected);
      for (const seed of [1, 2, 3]) {
        const shuffled = runToEnd(topology, shuffleWithinLateness(input, LATENESS, seed), {
          latenessMs: LATENESS,
        });
        expect(shuffled.late).toEqual([]);
        expect(shuffled.finals).toEqual(sorted.finals);
        expect(shuffled.rows).toEqual(sorted.rows);
        expect(shuffled.rows.every((r) => r.final)).toBe(true);
        expect(shuffled.stores).toEqual([0]);
      }
    },
  );

  it.each(cases)('%s: 1 and 3 partitions give the same result', (_, spec, emit) => {
    const topology = clickCounter({ window: spec, emit });
    const one = runToEnd(topology, shuffleWithinLateness(input, LATENESS, 11), {
      latenessMs: LATENESS,
    });
    const three = runToEnd(topology, shuffleWithinLateness(input, LATENESS, 12), {
      latenessMs: LATENESS,
      partitions: 3,
    });
    // The keys really are spread over partitions.
    const used = new Set(input.map((r) => three.driver.partitionFor(r.user)));
    expect(used.size).toBeGreaterThan(1);
    expect(three.late).toEqual([]);
    expect(three.finals).toEqual(one.finals);
    expect(three.rows).toEqual(one.rows);
    expect(three.stores).toEqual([0, 0, 0]);
  });

  it('every final window is emitted exactly once', () => {
    const { finals, outs } = runToEnd(
      clickCounter({ emit: 'update', window: TumblingWindows.of(1_000) }),
      shuffleWithinLateness(input, LATENESS, 5),
      { latenessMs: LATENESS },
    );
    const ids = finals.map((f) => `${f.key}|${f.window.start}`);
    expect(new Set(ids).size).toBe(ids.length);
    // In update mode, the final result equals the last update of that window.
    const lastUpdate = new Map<string, Counts>();
    for (const o of outs) if (!o.final) lastUpdate.set(`${o.key}|${o.window.start}`, o.value);
    for (const f of finals) expect(lastUpdate.get(`${f.key}|${f.window.start}`)).toEqual(f.value);
  });
});

describe('windowed aggregate: restart and bounded state', () => {
  const LATENESS = 3_000;
  const input = shuffleWithinLateness(clicks(99), LATENESS, 3);

  it.each(['final', 'update'] as const)(
    'restarts mid-stream (from committed state) give the same outputs, without duplicates (emit %s)',
    (emit) => {
      const topology = clickCounter({ emit, window: TumblingWindows.of(2_000) });
      const straight = runToEnd(topology, input, { latenessMs: LATENESS });
      for (const every of [1, 7, 150]) {
        const restarted = runToEnd(topology, input, { latenessMs: LATENESS, restartEvery: every });
        expect(restarted.finals).toEqual(straight.finals);
        expect(restarted.rows).toEqual(straight.rows);
        expect([...restarted.outs].sort(byWindow)).toEqual([...straight.outs].sort(byWindow));
      }
      const ids = straight.finals.map((f) => `${f.key}|${f.window.start}`);
      expect(new Set(ids).size).toBe(ids.length);
    },
  );

  it('a restart restores the open windows, which still close', () => {
    const driver = new TopologyTestDriver(clickCounter(), { allowedLatenessMs: 0 });
    driver.pipe('clicks', 'a', { user: 'a', ts: 1 });
    driver.pipe('clicks', 'b', { user: 'b', ts: 2 });
    driver.restart();
    expect(driver.store('count-store').size).toBe(2);
    expect(driver.watermark()).toBe(2);
    driver.pipe('clicks', 'a', { user: 'a', ts: 3 });
    driver.restart();
    driver.pipe('clicks', 'a', { user: 'a', ts: MIN });
    expect(readCounts(driver)).toEqual([
      { key: 'a', window: { start: 0, end: MIN }, value: { count: 2, sum: 2 }, final: true },
      { key: 'b', window: { start: 0, end: MIN }, value: { count: 1, sum: 1 }, final: true },
    ]);
  });

  it('closed windows leave the store: its size goes back to 0', () => {
    const driver = new TopologyTestDriver(
      clickCounter({ window: HoppingWindows.of(2 * MIN, MIN) }),
      { allowedLatenessMs: 0, idleTimeoutMs: IDLE },
    );
    for (let i = 0; i < 10; i++) driver.pipe('clicks', `u${i}`, { user: `u${i}`, ts: 1_000 + i });
    expect(driver.store('count-store').size).toBe(20); // 10 users x 2 hopping windows
    driver.pipe('clicks', 'u0', { user: 'u0', ts: MIN });
    expect(driver.store('count-store').size).toBe(11); // [-1,1) closed; [0,2) x 10 and [1,3) for u0
    driver.advanceWallClock(IDLE + 3 * MIN);
    expect(driver.store('count-store').size).toBe(0);
    expect(readCounts(driver)).toHaveLength(10 + 10 + 1);
  });
});
