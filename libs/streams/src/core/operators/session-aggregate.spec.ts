import { TopologyTestDriver } from '../../testing/topology-test-driver';
import { Serdes } from '../serde';
import { Topology, TopologyBuilder } from '../topology';
import { SessionBytesCodec, SessionResult, StateFormatError, TailCodec } from './session-aggregate';
import { KeyState } from './session-aggregate-state';
import { prng } from '../../testing/prng';

/* A tiny session aggregate of { ts, kind } records keyed by user. The aggregate is the sequence of
 * kinds in fold order, so it also proves that the fold runs in event-time order. */

interface Act {
  ts: number;
  kind: string;
}
interface Agg {
  kinds: string;
}
interface Row {
  user: string;
  start: number;
  last: number;
  count: number;
  kinds: string;
  final: boolean;
}
type Out = SessionResult<Agg>;

/** Acts and their aggregate as bytes; times of any kind (the node writes them). */
const actBytes: SessionBytesCodec<Act, Agg> = {
  aggregate: {
    write: (out, agg) => out.string(agg.kinds),
    read: (input) => ({ kinds: input.string() }),
  },
  tail: {
    write(out, acts) {
      for (const act of acts) {
        out.f64(act.ts);
        out.string(act.kind);
      }
    },
    read: (input, count) =>
      Array.from({ length: count }, () => ({ ts: input.f64(), kind: input.string() })),
  },
};

const GAP = 1_000;
const MAX = 10_000;

function sessionizer(
  o: {
    emit?: 'update' | 'final';
    gapMs?: number;
    maxDurationMs?: number;
    tailCodec?: TailCodec<Act>;
    bytesCodec?: SessionBytesCodec<Act, Agg>;
  } = {},
): Topology {
  const b = new TopologyBuilder('sessionizer');
  const sessions = b
    .stream<Act>('activity', {
      keySerde: Serdes.string(),
      valueSerde: Serdes.json<Act>(),
      timestamp: (v) => v.ts,
    })
    .sessionAggregate<Agg>('sessions', {
      gapMs: o.gapMs ?? GAP,
      maxDurationMs: o.maxDurationMs ?? MAX,
      initializer: () => ({ kinds: '' }),
      aggregator: (a, v) => ({ kinds: a.kinds + v.kind }),
      emit: o.emit ?? 'final',
      tailCodec: o.tailCodec,
      bytesCodec: o.bytesCodec,
    });
  sessions.to('publish', {
    topic: 'sessions',
    keySerde: Serdes.string(),
    valueSerde: Serdes.json(),
    key: (r) => r.key,
  });
  sessions.toTable('rows', {
    table: 'sessions',
    columns: {
      user: 'text',
      start: 'bigint',
      last: 'bigint',
      count: 'integer',
      kinds: 'text',
      final: 'boolean',
    },
    primaryKey: ['user', 'start'],
    row: (r) =>
      r.value.retracted
        ? null
        : {
            user: r.value.key,
            start: r.value.start,
            last: r.value.last,
            count: r.value.count,
            kinds: r.value.value.kinds,
            final: r.value.final,
          },
    deleteKey: (r) => ({ user: r.value.key, start: r.value.start }),
  });
  return b.build();
}

const cmp = (
  a: { key?: string; user?: string; start: number },
  b: { key?: string; user?: string; start: number },
) => {
  const ka = a.key ?? a.user ?? '';
  const kb = b.key ?? b.user ?? '';
  return ka < kb ? -1 : ka > kb ? 1 : a.start - b.start;
};
const read = (d: TopologyTestDriver): Out[] => d.readOutput<Out>('sessions').map((r) => r.value);
const finalsOf = (outs: Out[]) => outs.filter((o) => o.final).sort(cmp);
const brief = (outs: Out[]) =>
  outs.map(
    (o) =>
      `${o.key}:${o.start}-${o.last}#${o.count}:${o.value.kinds}${o.final ? ':final' : ''}${o.retracted ? ':retracted' : ''}`,
  );

interface KeyedAct extends Act {
  user: string;
}

/** A few hundred events of a few users, strictly increasing per user, in global event-time order. */
function activity(seed: number, users = 6, perUser = 60): KeyedAct[] {
  const rnd = prng(seed);
  const out: KeyedAct[] = [];
  for (let u = 0; u < users; u++) {
    let t = 1_700_000_000_000 + Math.floor(rnd() * 5_000);
    for (let i = 0; i < perUser; i++) {
      const r = rnd();
      // Mostly within the gap (so max duration is hit too), sometimes just under/at/over it.
      t +=
        r < 0.7
          ? 1 + Math.floor(rnd() * 600)
          : r < 0.8
            ? GAP - 1
            : r < 0.85
              ? GAP
              : GAP + Math.floor(rnd() * 2_000);
      out.push({ user: `user-${u}`, ts: t, kind: 'abcdefgh'[Math.floor(rnd() * 8)] });
    }
  }
  return out.sort((a, b) => a.ts - b.ts || (a.user < b.user ? -1 : 1));
}

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

/** The sessions by definition: per user in event-time order, new at >= gap after the previous event or >= max after the start. */
function oracle(records: KeyedAct[], gap = GAP, max = MAX): Out[] {
  const byUser = new Map<string, KeyedAct[]>();
  for (const r of records) byUser.set(r.user, [...(byUser.get(r.user) ?? []), r]);
  const out: Out[] = [];
  for (const [user, evs] of byUser) {
    let cur: Out | undefined;
    for (const e of [...evs].sort((a, b) => a.ts - b.ts)) {
      if (!cur || e.ts - cur.last >= gap || e.ts - cur.start >= max) {
        cur = {
          key: user,
          start: e.ts,
          last: e.ts,
          count: 1,
          value: { kinds: e.kind },
          final: true,
          retracted: false,
        };
        out.push(cur);
      } else {
        cur.last = e.ts;
        cur.count++;
        cur.value = { kinds: cur.value.kinds + e.kind };
      }
    }
  }
  return out.sort(cmp);
}

const IDLE = 30_000;

function runToEnd(
  topology: Topology,
  records: KeyedAct[],
  o: { latenessMs: number; partitions?: number; restartEvery?: number },
) {
  const driver = new TopologyTestDriver(topology, {
    allowedLatenessMs: o.latenessMs,
    partitions: o.partitions,
    idleTimeoutMs: IDLE,
    lateTopic: 'late',
  });
  records.forEach((r, i) => {
    driver.pipe('activity', r.user, { ts: r.ts, kind: r.kind });
    if (o.restartEvery && (i + 1) % o.restartEvery === 0) driver.restart();
  });
  const outs = read(driver);
  driver.advanceWallClock(IDLE + 10 * 24 * 3_600_000);
  outs.push(...read(driver));
  const stores = Array.from(
    { length: o.partitions ?? 1 },
    (_, p) => driver.store('sessions-store', p).size,
  );
  return {
    driver,
    outs,
    finals: finalsOf(outs),
    rows: driver.readTable<Row>('sessions').sort(cmp),
    late: driver.readOutput('late'),
    stores,
  };
}

function pipeAll(driver: TopologyTestDriver, user: string, events: Array<[number, string]>) {
  for (const [ts, kind] of events) driver.pipe('activity', user, { ts, kind });
}

describe('session aggregate: gap and maximum duration', () => {
  it('a record gap-1 ms after the previous one joins the session', () => {
    const d = new TopologyTestDriver(sessionizer());
    pipeAll(d, 'u', [
      [0, 'a'],
      [GAP - 1, 'b'],
      [2 * GAP - 2, 'c'],
    ]);
    d.advanceWallClock(IDLE + 10 * GAP);
    expect(brief(read(d))).toEqual([`u:0-${2 * GAP - 2}#3:abc:final`]);
  });

  it('a record exactly gap ms after the previous one starts a new session', () => {
    const d = new TopologyTestDriver(sessionizer());
    pipeAll(d, 'u', [
      [0, 'a'],
      [500, 'b'],
      [500 + GAP, 'c'],
    ]);
    // Lateness 0: the watermark is at 500 + GAP, which closes the first session right away.
    expect(brief(read(d))).toEqual(['u:0-500#2:ab:final']);
    d.advanceWallClock(IDLE + 10 * GAP);
    expect(brief(read(d))).toEqual([`u:${500 + GAP}-${500 + GAP}#1:c:final`]);
  });

  it('a record more than gap ms after the previous one starts a new session', () => {
    const d = new TopologyTestDriver(sessionizer());
    pipeAll(d, 'u', [
      [0, 'a'],
      [GAP + 1, 'b'],
      [5 * GAP, 'c'],
    ]);
    d.advanceWallClock(IDLE + 10 * GAP);
    expect(brief(read(d))).toEqual([
      `u:0-0#1:a:final`,
      `u:${GAP + 1}-${GAP + 1}#1:b:final`,
      `u:${5 * GAP}-${5 * GAP}#1:c:final`,
    ]);
  });

  it('max duration: a record at start + max starts a new session even with small gaps', () => {
    const d = new TopologyTestDriver(sessionizer());
    const events: Array<[number, string]> = [];
    for (let t = 0; t <= MAX + 500; t += 500) events.push([t, 'x']);
    pipeAll(d, 'u', events);
    // [0 .. 9 500] (20 events) closed when the watermark reached start + max = 10 000.
    expect(brief(read(d))).toEqual([`u:0-${MAX - 500}#20:${'x'.repeat(20)}:final`]);
    d.advanceWallClock(IDLE + 10 * GAP);
    expect(brief(read(d))).toEqual([`u:${MAX}-${MAX + 500}#2:xx:final`]);
  });

  it('max duration: a record at start + max - 1 still joins', () => {
    const d = new TopologyTestDriver(sessionizer({ maxDurationMs: 2_500 }));
    pipeAll(d, 'u', [
      [0, 'a'],
      [900, 'b'],
      [1_800, 'c'],
      [2_499, 'd'],
      [2_500 + 900, 'e'], // 3 400 - 0 >= 2 500: new
    ]);
    d.advanceWallClock(IDLE + 10 * GAP);
    expect(brief(read(d))).toEqual(['u:0-2499#4:abcd:final', 'u:3400-3400#1:e:final']);
  });

  it('without maxDurationMs a session can grow without limit', () => {
    const b = new TopologyBuilder('unbounded');
    b.stream<Act>('activity', {
      keySerde: Serdes.string(),
      valueSerde: Serdes.json<Act>(),
      timestamp: (v) => v.ts,
    })
      .sessionAggregate<number>('s', {
        gapMs: GAP,
        initializer: () => 0,
        aggregator: (a) => a + 1,
        emit: 'final',
      })
      .to('out', {
        topic: 'sessions',
        keySerde: Serdes.string(),
        valueSerde: Serdes.json(),
        key: (r) => r.key,
      });
    const u = new TopologyTestDriver(b.build(), { idleTimeoutMs: IDLE });
    for (let t = 0; t < 30 * MAX; t += GAP - 1) u.pipe('activity', 'u', { ts: t, kind: 'a' });
    u.advanceWallClock(IDLE + 10 * GAP);
    const outs = u.readOutput<SessionResult<number>>('sessions').map((r) => r.value);
    expect(outs).toHaveLength(1);
    expect(outs[0]).toMatchObject({
      start: 0,
      count: Math.ceil((30 * MAX) / (GAP - 1)),
      final: true,
    });
  });

  it('keys have independent sessions', () => {
    const d = new TopologyTestDriver(sessionizer(), { allowedLatenessMs: 0 });
    d.pipe('activity', 'a', { ts: 0, kind: 'a' });
    d.pipe('activity', 'b', { ts: 500, kind: 'b' });
    d.pipe('activity', 'a', { ts: 900, kind: 'a' });
    d.pipe('activity', 'b', { ts: 1_400, kind: 'b' });
    d.advanceWallClock(IDLE + 10 * GAP);
    expect(brief(read(d)).sort()).toEqual(['a:0-900#2:aa:final', 'b:500-1400#2:bb:final']);
  });

  it('a session closes when the watermark reaches last + gap (with lateness), once', () => {
    const d = new TopologyTestDriver(sessionizer(), { allowedLatenessMs: 2_000 });
    d.pipe('activity', 'a', { ts: 0, kind: 'a' });
    d.pipe('activity', 'b', { ts: 2_999, kind: 'b' }); // watermark 999
    expect(read(d)).toEqual([]);
    d.pipe('activity', 'b', { ts: 3_000, kind: 'b' }); // watermark 1 000 = 0 + gap
    expect(brief(read(d))).toEqual(['a:0-0#1:a:final']);
    d.pipe('activity', 'b', { ts: 3_500, kind: 'b' });
    expect(read(d)).toEqual([]);
  });
});

describe("session aggregate: emit 'update'", () => {
  it('open sessions are emitted with current values, then once as final', () => {
    const d = new TopologyTestDriver(sessionizer({ emit: 'update' }));
    pipeAll(d, 'u', [
      [0, 'a'],
      [100, 'b'],
    ]);
    expect(brief(read(d))).toEqual(['u:0-0#1:a', 'u:0-100#2:ab']);
    expect(d.readTable<Row>('sessions')).toEqual([
      { user: 'u', start: 0, last: 100, count: 2, kinds: 'ab', final: false },
    ]);
    d.pipe('activity', 'u', { ts: 100 + GAP, kind: 'c' });
    expect(brief(read(d))).toEqual([`u:${100 + GAP}-${100 + GAP}#1:c`, 'u:0-100#2:ab:final']);
    expect(d.readTable<Row>('sessions').sort(cmp)).toEqual([
      { user: 'u', start: 0, last: 100, count: 2, kinds: 'ab', final: true },
      { user: 'u', start: 100 + GAP, last: 100 + GAP, count: 1, kinds: 'c', final: false },
    ]);
  });
});

const sessionizerOf = sessionizer;

describe('session aggregate: out-of-order records', () => {
  const LATENESS = 5_000;

  it('an out-of-order record that bridges two sessions merges them (the later one is retracted)', () => {
    const d = new TopologyTestDriver(sessionizer({ emit: 'update' }), {
      allowedLatenessMs: LATENESS,
    });
    pipeAll(d, 'u', [
      [0, 'a'],
      [1_500, 'c'],
    ]);
    expect(brief(read(d))).toEqual(['u:0-0#1:a', 'u:1500-1500#1:c']);
    expect(d.readTable<Row>('sessions')).toHaveLength(2);
    d.pipe('activity', 'u', { ts: 800, kind: 'b' });
    expect(brief(read(d))).toEqual(['u:1500-1500#1:c:retracted', 'u:0-1500#3:abc']);
    expect(d.readTable<Row>('sessions')).toEqual([
      { user: 'u', start: 0, last: 1_500, count: 3, kinds: 'abc', final: false },
    ]);
    d.advanceWallClock(IDLE + 10 * LATENESS);
    expect(brief(read(d))).toEqual(['u:0-1500#3:abc:final']);
    expect(d.store('sessions-store').size).toBe(0);
  });

  it('an out-of-order record inside a session splits nothing: only that session is updated', () => {
    const d = new TopologyTestDriver(sessionizer({ emit: 'update' }), {
      allowedLatenessMs: LATENESS,
    });
    pipeAll(d, 'u', [
      [0, 'a'],
      [500, 'c'],
    ]);
    read(d);
    d.pipe('activity', 'u', { ts: 200, kind: 'b' });
    expect(brief(read(d))).toEqual(['u:0-500#3:abc']);
    d.advanceWallClock(IDLE + 10 * LATENESS);
    expect(brief(read(d))).toEqual(['u:0-500#3:abc:final']);
  });

  it('an out-of-order record that forms its own earlier session splits nothing and leaves the later session alone', () => {
    const d = new TopologyTestDriver(sessionizer({ emit: 'update' }), {
      allowedLatenessMs: LATENESS,
    });
    pipeAll(d, 'u', [
      [5_000, 'b'],
      [5_500, 'c'],
    ]);
    read(d);
    d.pipe('activity', 'u', { ts: 3_500, kind: 'a' }); // 1 500 before the session: its own session
    expect(brief(read(d))).toEqual(['u:3500-3500#1:a']);
    d.advanceWallClock(IDLE + 10 * LATENESS);
    expect(brief(read(d))).toEqual(['u:3500-3500#1:a:final', 'u:5000-5500#2:bc:final']);
  });

  it('an out-of-order record that moves later max-duration boundaries re-segments them like in-order input', () => {
    const topology = sessionizer({ emit: 'update', gapMs: 10_000, maxDurationMs: 1_000 });
    const events: Array<[number, string]> = [
      [0, 'b'],
      [999, 'c'],
      [1_500, 'd'],
      [1_999, 'e'],
    ];
    const ooo = new TopologyTestDriver(topology, { allowedLatenessMs: LATENESS });
    pipeAll(ooo, 'u', events);
    expect(finalsOf(read(ooo))).toEqual([]);
    ooo.pipe('activity', 'u', { ts: -1, kind: 'a' });
    // Sessions were [0, 999] [1500, 1999]; now [-1, 0] [999, 1500] [1999].
    expect(brief(read(ooo))).toEqual([
      'u:0-999#2:bc:retracted',
      'u:1500-1999#2:de:retracted',
      'u:-1-0#2:ab',
      'u:999-1500#2:cd',
      'u:1999-1999#1:e',
    ]);
    ooo.advanceWallClock(IDLE + 100_000);
    const inOrder = new TopologyTestDriver(topology, { allowedLatenessMs: LATENESS });
    pipeAll(inOrder, 'u', [[-1, 'a'], ...events]);
    inOrder.advanceWallClock(IDLE + 100_000);
    expect(brief(finalsOf(read(ooo)))).toEqual([
      'u:-1-0#2:ab:final',
      'u:999-1500#2:cd:final',
      'u:1999-1999#1:e:final',
    ]);
    expect(ooo.readTable<Row>('sessions').sort(cmp)).toEqual(
      inOrder.readTable<Row>('sessions').sort(cmp),
    );
    expect(brief(finalsOf(read(inOrder)))).toEqual([
      'u:-1-0#2:ab:final',
      'u:999-1500#2:cd:final',
      'u:1999-1999#1:e:final',
    ]);
  });

  describe('seeded shuffles of a few hundred records within the allowed lateness', () => {
    const L = 3_000; // more than the gap, so out-of-order records can merge sessions
    const SHORT_MAX = 4_000; // short enough for the max duration to cut sessions
    const sessionizer = (o: {
      emit: 'update' | 'final';
      bytesCodec?: SessionBytesCodec<Act, Agg>;
    }) => sessionizerOf({ ...o, maxDurationMs: SHORT_MAX });
    const input = activity(77);
    const expected = oracle(input, GAP, SHORT_MAX);

    it('the input exercises gaps, max duration and out-of-order merges', () => {
      expect(input.length).toBeGreaterThanOrEqual(300);
      expect(expected.length).toBeGreaterThan(20);
      const cutByMax = expected.filter(
        (s, i) => i > 0 && expected[i - 1].key === s.key && s.start - expected[i - 1].last < GAP,
      );
      expect(cutByMax.length).toBeGreaterThan(3);
      const cutByGap = expected.filter(
        (s, i) => i > 0 && expected[i - 1].key === s.key && s.start - expected[i - 1].last >= GAP,
      );
      expect(cutByGap.length).toBeGreaterThan(3);
      const shuffled = runToEnd(
        sessionizer({ emit: 'update' }),
        shuffleWithinLateness(input, L, 1),
        { latenessMs: L },
      );
      expect(shuffled.outs.filter((o) => o.retracted).length).toBeGreaterThan(0);
    });

    it.each(['final', 'update'] as const)(
      'emit %s: same final outputs and table rows as in-order input (and as the definition)',
      (emit) => {
        const topology = sessionizer({ emit });
        const sorted = runToEnd(topology, input, { latenessMs: L });
        expect(sorted.finals).toEqual(expected);
        for (const seed of [1, 2, 3, 4]) {
          const shuffled = runToEnd(topology, shuffleWithinLateness(input, L, seed), {
            latenessMs: L,
          });
          expect(shuffled.late).toEqual([]);
          expect(shuffled.finals).toEqual(sorted.finals);
          expect(shuffled.rows).toEqual(sorted.rows);
          expect(shuffled.stores).toEqual([0]);
        }
      },
    );

    it.each(['final', 'update'] as const)(
      'emit %s: 1 and 3 partitions give the same result',
      (emit) => {
        const topology = sessionizer({ emit });
        const one = runToEnd(topology, shuffleWithinLateness(input, L, 8), { latenessMs: L });
        const three = runToEnd(topology, shuffleWithinLateness(input, L, 9), {
          latenessMs: L,
          partitions: 3,
        });
        expect(new Set(input.map((r) => three.driver.partitionFor(r.user))).size).toBeGreaterThan(
          1,
        );
        expect(three.late).toEqual([]);
        expect(three.finals).toEqual(one.finals);
        expect(three.finals).toEqual(expected);
        expect(three.rows).toEqual(one.rows);
        expect(three.stores).toEqual([0, 0, 0]);
      },
    );

    it('each session is published as final exactly once', () => {
      const { finals } = runToEnd(
        sessionizer({ emit: 'update' }),
        shuffleWithinLateness(input, L, 5),
        { latenessMs: L },
      );
      const ids = finals.map((f) => `${f.key}|${f.start}`);
      expect(new Set(ids).size).toBe(ids.length);
      expect(finals.every((f) => !f.retracted)).toBe(true);
    });

    it.each([
      ['final', 'JSON'],
      ['update', 'JSON'],
      ['final', 'bytes'],
      ['update', 'bytes'],
    ] as const)(
      'emit %s, state stored as %s: restarts mid-stream give the same outputs, without duplicates',
      (emit, stored) => {
        const topology = sessionizer({
          emit,
          bytesCodec: stored === 'bytes' ? actBytes : undefined,
        });
        const records = shuffleWithinLateness(input, L, 6);
        const straight = runToEnd(topology, records, { latenessMs: L });
        for (const every of [1, 13, 100]) {
          const restarted = runToEnd(topology, records, { latenessMs: L, restartEvery: every });
          expect(restarted.finals).toEqual(straight.finals);
          expect(restarted.rows).toEqual(straight.rows);
          expect([...restarted.outs].sort(cmp)).toEqual([...straight.outs].sort(cmp));
        }
      },
    );
  });
});

/** Restarts, merges the restored sessions with a record, restarts, closes them: the outputs. */
function restartedTwice(d: TopologyTestDriver): string[] {
  d.restart();
  d.pipe('activity', 'u', { ts: 800, kind: 'b' });
  d.restart();
  d.pipe('activity', 'u', { ts: 20_000, kind: 'd' });
  return brief(read(d));
}

describe('session aggregate: late events', () => {
  const L = 2_000;
  const events: Array<[string, number, string]> = [
    ['u', 0, 'a'],
    ['u', 500, 'b'],
    ['v', 4_000, 'x'], // watermark 2 000
    ['u', 6_000, 'c'], // watermark 4 000: u's session [0, 500] closed at 1 500
    ['v', 4_500, 'y'],
  ];

  function run(withLate: boolean, emit: 'update' | 'final') {
    const d = new TopologyTestDriver(sessionizer({ emit }), {
      allowedLatenessMs: L,
      lateTopic: 'late',
      wallClock: 1_000_000,
    });
    events.forEach(([user, ts, kind], i) => {
      d.pipe('activity', user, { ts, kind });
      // 3 999 is behind the watermark (4 000) and would otherwise have joined v's session.
      if (withLate && i === 3) d.pipe('activity', 'v', { ts: 3_999, kind: 'LATE' });
    });
    return d;
  }

  it.each(['final', 'update'] as const)(
    'an event older than the watermark goes to the late topic and changes nothing (emit %s)',
    (emit) => {
      const a = run(true, emit);
      const b = run(false, emit);
      expect(a.readOutput('late')).toEqual([
        {
          key: 'v',
          value: {
            processor: 'sessionizer',
            reason: 'behind_watermark',
            event: { ts: 3_999, kind: 'LATE' },
            event_time: new Date(3_999).toISOString(),
            watermark: new Date(4_000).toISOString(),
            lateness_ms: 1,
            detected_at: new Date(1_000_000).toISOString(),
            source: { topic: 'activity', partition: 0, offset: '4' },
          },
        },
      ]);
      expect(b.readOutput('late')).toEqual([]);
      expect(a.store('sessions-store')).toEqual(b.store('sessions-store'));
      expect(a.watermark()).toBe(b.watermark());
      a.advanceWallClock(IDLE + 100_000);
      b.advanceWallClock(IDLE + 100_000);
      const outA = read(a);
      expect(outA).toEqual(read(b));
      expect(brief(finalsOf(outA))).toEqual([
        'u:0-500#2:ab:final',
        'u:6000-6000#1:c:final',
        'v:4000-4500#2:xy:final',
      ]);
      expect(a.readTable('sessions')).toEqual(b.readTable('sessions'));
    },
  );
});

describe('session aggregate: idle partitions and bounded state', () => {
  it('an idle partition closes its last session: nothing before the idle timeout, then exactly once', () => {
    const d = new TopologyTestDriver(sessionizer(), {
      allowedLatenessMs: 2_000,
      idleTimeoutMs: IDLE,
    });
    pipeAll(d, 'u', [
      [10_000, 'a'],
      [10_400, 'b'],
    ]);
    // Watermark 8 400; the session closes at 10 400 + 1 000 = 11 400, i.e. 3 000 ms of idle time later.
    d.advanceWallClock(IDLE - 1);
    d.advanceWallClock(1);
    expect(read(d)).toEqual([]);
    d.advanceWallClock(2_999);
    expect(d.watermark()).toBe(11_399);
    expect(read(d)).toEqual([]);
    expect(d.store('sessions-store').size).toBe(1);
    d.advanceWallClock(1);
    expect(brief(read(d))).toEqual(['u:10000-10400#2:ab:final']);
    expect(d.store('sessions-store').size).toBe(0);
    for (let i = 0; i < 20; i++) d.advanceWallClock(60_000);
    expect(read(d)).toEqual([]);
  });

  it('closed sessions leave the store; the open part keeps only its records newer than the watermark', () => {
    const d = new TopologyTestDriver(sessionizer(), { allowedLatenessMs: 0, idleTimeoutMs: IDLE });
    for (let u = 0; u < 5; u++) pipeAll(d, `u${u}`, [[u, 'a']]);
    expect(d.store('sessions-store').size).toBe(5);
    pipeAll(d, 'u0', [
      [GAP + 10, 'b'],
      [GAP + 20, 'c'],
    ]); // watermark GAP + 20 closes every first session
    expect(read(d)).toHaveLength(5);
    const store = d.store('sessions-store');
    expect([...store.keys()]).toEqual(['u0']);
    // Stored form: the open session, and the record at GAP + 10 folded into its base when the
    // watermark reached it (GAP + 20 was newer than the watermark when last folded).
    expect(JSON.parse(JSON.stringify(store.get('u0')))).toEqual({
      v: 2,
      s: [{ s: GAP + 10, l: GAP + 20, c: 2, a: { kinds: 'bc' } }],
      b: { s: GAP + 10, l: GAP + 10, c: 1, a: { kinds: 'b' } },
      dt: [GAP + 20],
      e: [{ ts: GAP + 20, kind: 'c' }],
    });
    d.advanceWallClock(IDLE + GAP);
    expect(d.store('sessions-store').size).toBe(0);
  });

  it('an open session holds few folded records: a quarter of its tail at most, or fewer than 4', () => {
    // One long session (a record every 50 ms, gap 1 000, max 10 000), 500 ms of lateness: about
    // ten records are newer than the watermark at any time, and the rest are folded into base.
    const d = new TopologyTestDriver(sessionizer(), { allowedLatenessMs: 500 });
    const held: Array<{ live: number; folded: number }> = [];
    for (let ts = 0; ts < 9_000; ts += 50) {
      pipeAll(d, 'u', [[ts, 'a']]);
      const state = d.store('sessions-store').get('u') as KeyState<Act, Agg>;
      held.push({ live: state.tail.length - state.head, folded: state.head });
    }
    expect(Math.max(...held.map((h) => h.live))).toBeGreaterThanOrEqual(10);
    expect(held.filter((h) => h.folded >= 4 && 4 * h.folded >= h.folded + h.live)).toEqual([]);
  });

  it('a tail codec stores the tail in its own form, and a restart decodes it to the same results', () => {
    const codec: TailCodec<Act> = {
      encode: (acts) => acts.map((a) => `${a.ts}:${a.kind}`).join(','),
      decode: (text) =>
        (text as string)
          .split(',')
          .map((item) => ({ ts: Number(item.split(':')[0]), kind: item.split(':')[1] })),
    };
    const run = (tailCodec?: TailCodec<Act>) => {
      const d = new TopologyTestDriver(sessionizer({ emit: 'update', tailCodec }), {
        allowedLatenessMs: 3_000,
      });
      pipeAll(d, 'u', [
        [0, 'a'],
        [1_500, 'c'],
      ]);
      const stored = JSON.parse(JSON.stringify(d.store('sessions-store').get('u'))) as Record<
        string,
        unknown
      >;
      return { stored, out: restartedTwice(d) };
    };
    const plain = run();
    const coded = run(codec);
    expect(coded.stored.ec).toBe('0:a,1500:c');
    expect(coded.stored.e).toBeUndefined();
    expect(plain.stored.e).toEqual([
      { ts: 0, kind: 'a' },
      { ts: 1_500, kind: 'c' },
    ]);
    expect(coded.out).toEqual(plain.out);
    expect(coded.out).toContain('u:0-1500#3:abc:final');
  });

  it('a bytes codec stores each state as bytes, the state rests as them once committed, and a restart decodes them to the same results', () => {
    const run = (bytesCodec?: SessionBytesCodec<Act, Agg>) => {
      const d = new TopologyTestDriver(sessionizer({ emit: 'update', bytesCodec }), {
        allowedLatenessMs: 3_000,
      });
      pipeAll(d, 'u', [
        [0, 'a'],
        [1_500.5, 'c'], // a time that is not an integer: written as a float
      ]);
      // The driver commits after every record, so the committed state is what the store holds.
      const atRest = d.store('sessions-store').get('u');
      const stored = atRest instanceof KeyState ? atRest.storedForm() : atRest;
      return { atRest, stored, out: restartedTwice(d) };
    };
    const plain = run();
    const bytes = run(actBytes);
    expect(Buffer.isBuffer(bytes.stored)).toBe(true);
    expect(bytes.atRest).toBe(bytes.stored);
    expect([...(bytes.stored as Buffer).subarray(0, 2)]).toEqual([0, 3]);
    expect(plain.atRest).toBeInstanceOf(KeyState); // JSON: the node's objects stay in memory
    expect(Buffer.isBuffer(plain.stored)).toBe(false);
    expect(bytes.out).toEqual(plain.out);
    expect(bytes.out).toContain('u:0-1500.5#3:abc:final');
  });

  it('an upgrade to bytes reads the state stored as JSON and goes on; without the codec bytes are refused', () => {
    const events: Array<[number, string]> = [
      [0, 'a'],
      [1_500, 'c'],
      [800, 'b'],
      [20_000, 'd'],
    ];
    const straight = new TopologyTestDriver(sessionizer({ emit: 'update' }), {
      allowedLatenessMs: 3_000,
    });
    pipeAll(straight, 'u', events);
    const d = new TopologyTestDriver(sessionizer({ emit: 'update' }), { allowedLatenessMs: 3_000 });
    pipeAll(d, 'u', events.slice(0, 2));
    d.restart(sessionizer({ emit: 'update', bytesCodec: actBytes }));
    pipeAll(d, 'u', events.slice(2, 3));
    // Read from JSON, changed, and committed as bytes: the state now rests as them.
    expect(Buffer.isBuffer(d.store('sessions-store').get('u'))).toBe(true);
    d.restart();
    pipeAll(d, 'u', events.slice(3));
    expect(brief(read(d))).toEqual(brief(read(straight)));
    // A downgrade cannot read the bytes: a configuration error, named, never retried.
    const back = new TopologyTestDriver(sessionizer({ emit: 'update', bytesCodec: actBytes }), {
      allowedLatenessMs: 3_000,
    });
    pipeAll(back, 'u', events.slice(0, 2));
    expect(() => back.restart(sessionizer({ emit: 'update' }))).toThrow(StateFormatError);
  });

  it('a restart restores open sessions, which still close once', () => {
    const d = new TopologyTestDriver(sessionizer({ emit: 'update' }), { allowedLatenessMs: 3_000 });
    pipeAll(d, 'u', [
      [0, 'a'],
      [1_500, 'c'],
    ]);
    d.restart();
    d.pipe('activity', 'u', { ts: 800, kind: 'b' }); // merges the restored sessions
    d.restart();
    d.pipe('activity', 'u', { ts: 20_000, kind: 'd' });
    expect(brief(read(d))).toEqual([
      'u:0-0#1:a',
      'u:1500-1500#1:c',
      'u:1500-1500#1:c:retracted',
      'u:0-1500#3:abc',
      'u:20000-20000#1:d',
      'u:0-1500#3:abc:final',
    ]);
  });
});
