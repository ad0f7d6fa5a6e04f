import { TopologyTestDriver } from '../../testing/topology-test-driver';
import { prng } from '../../testing/prng';
import { Serdes } from '../serde';
import { StreamTask } from '../task';
import { Topology, TopologyBuilder } from '../topology';
import { SessionResult } from './session-aggregate';

/* The session state is changed in place (no copy per record), so a failed step must undo exactly
 * what it changed: every step below fails once first and must leave the state as it was. */

interface Act {
  ts: number;
  kind: string;
}

const GAP = 1_000;
const MAX = 6_000;
const LATENESS = 2_000;
const IDLE = 30_000;
let failing = false;

function topology(emit: 'update' | 'final'): Topology {
  const b = new TopologyBuilder('sessions-state');
  b.stream<Act>('activity', {
    keySerde: Serdes.string(),
    valueSerde: Serdes.json<Act>(),
    timestamp: (v) => v.ts,
  })
    .sessionAggregate<string>('sessions', {
      gapMs: GAP,
      maxDurationMs: MAX,
      initializer: () => '',
      aggregator: (a, v) => a + v.kind,
      emit,
    })
    .peek('downstream', () => {
      if (failing) throw new Error('sink down');
    })
    .to('out', {
      topic: 'sessions',
      keySerde: Serdes.string(),
      valueSerde: Serdes.json(),
      key: (r) => r.key,
    });
  return b.build();
}

const newDriver = (emit: 'update' | 'final') =>
  new TopologyTestDriver(topology(emit), {
    allowedLatenessMs: LATENESS,
    idleTimeoutMs: IDLE,
    maxRetries: 0,
    deadLetterTopic: 'dlq',
  });

/** The in-memory state (not only its stored form: a leftover in the kept records would show too). */
const stateOf = (d: TopologyTestDriver) => ({
  live: structuredClone([...d.store('sessions-store')]),
  stored: JSON.stringify([...d.store('sessions-store')]),
  watermark: d.watermark(),
});

/** A busy user `u` (records 20-400 ms apart, so max-duration splits) and a quiet `v`, shuffled within the lateness. */
function workload(seed: number, n: number): Array<{ user: string; act: Act }> {
  const rnd = prng(seed);
  let t = 0;
  const records = Array.from({ length: n }, (_, i) => {
    t += rnd() < 0.02 ? GAP + 500 : 20 + Math.floor(rnd() * 380);
    return {
      user: i % 10 === 9 ? 'v' : 'u',
      act: { ts: t, kind: 'abcd'[Math.floor(rnd() * 4)] },
      at: t + Math.floor(rnd() * LATENESS),
    };
  });
  return records.sort((a, b) => a.at - b.at).map(({ user, act }) => ({ user, act }));
}

describe('session aggregate: a failed step leaves the state exactly as it was', () => {
  it.each(['update', 'final'] as const)(
    'emit %s: every step of a busy key that emits, failed once downstream, then applied',
    (emit) => {
      const input = workload(3, 600);
      const d = newDriver(emit);
      const clean = newDriver(emit);
      let failures = 0;
      for (const { user, act } of input) {
        const before = stateOf(d);
        failing = true;
        d.pipe('activity', user, act);
        failing = false;
        if (d.readOutput('dlq').length) {
          failures++;
          expect(stateOf(d)).toEqual(before);
          d.pipe('activity', user, act); // the same record again, now without the failure
        }
        clean.pipe('activity', user, act);
      }
      // In final mode only records that close a session fail; in update mode every one does.
      expect(failures).toBeGreaterThan(emit === 'update' ? 590 : 20);
      d.advanceWallClock(IDLE + 100_000);
      clean.advanceWallClock(IDLE + 100_000);
      // Per key, in order (a rebuilt task may close different keys at one watermark in another order).
      const byKey = (x: TopologyTestDriver) => {
        const out = x.readOutput<SessionResult<string>>('sessions').map((r) => r.value);
        return ['u', 'v'].map((k) => out.filter((r) => r.key === k));
      };
      const results = byKey(d);
      expect(results).toEqual(byKey(clean));
      expect(
        results
          .flat()
          .filter((r) => r.final)
          .reduce((n, r) => n + r.count, 0),
      ).toBe(input.length);
    },
  );

  it('an idle advance that fails while closing sessions moves neither the watermark nor the state', () => {
    const d = newDriver('final');
    for (const { user, act } of workload(4, 50)) d.pipe('activity', user, act);
    d.readOutput('sessions');
    d.advanceWallClock(IDLE); // idle from here on
    const before = stateOf(d);
    failing = true;
    expect(() => d.advanceWallClock(100_000)).toThrow('sink down');
    failing = false;
    expect(stateOf(d)).toEqual(before);
    expect(d.readOutput('sessions')).toEqual([]);
    d.advanceWallClock(1);
    expect(d.readOutput('sessions').length).toBeGreaterThan(0);
    expect(d.store('sessions-store').size).toBe(0);
  });
});

describe('session aggregate: stored state', () => {
  it('keeps only what the session row needs and the records newer than the watermark', () => {
    const d = newDriver('update');
    for (let i = 0; i < 50; i++) d.pipe('activity', 'u', { ts: i * 100, kind: 'x' });
    // Watermark 4 900 - 2 000: the 20 records after 2 900 are kept; the rest is folded into `b`.
    expect(JSON.parse(JSON.stringify(d.store('sessions-store').get('u')))).toEqual({
      v: 2,
      s: [{ s: 0, l: 4_900, c: 50, a: 'x'.repeat(50) }],
      b: { s: 0, l: 2_800, c: 29, a: 'x'.repeat(29) },
      dt: [2_900, ...Array<number>(20).fill(100)],
      e: Array.from({ length: 21 }, (_, i) => ({ ts: 2_900 + i * 100, kind: 'x' })),
    });
  });

  it('stored before this version (every record of the open sessions): restored and continued', () => {
    // What the previous version stored for a key with sessions [0, 500] and [1 600] (watermark -400).
    const legacy = {
      events: [
        [0, { ts: 0, kind: 'a' }],
        [500, { ts: 500, kind: 'b' }],
        [1_600, { ts: 1_600, kind: 'd' }],
      ],
      sessions: [
        { start: 0, last: 500, count: 2, agg: 'ab' },
        { start: 1_600, last: 1_600, count: 1, agg: 'd' },
      ],
    };
    let clock = 0;
    const task = new StreamTask(
      topology('update'),
      'activity',
      0,
      {
        applicationId: 'sessions-state',
        allowedLatenessMs: LATENESS,
        idleTimeoutMs: IDLE,
        maxRetries: 0,
        clock: () => clock,
      },
      {
        stores: new Map([['sessions-store', [['u', JSON.parse(JSON.stringify(legacy))]]]]),
        watermark: { maxEventTime: 1_600, watermark: -400, lastInputAt: 0, idleAdvancedTo: null },
        nextOffset: '3',
        nextSeq: 0,
      },
    );
    const pipe = (offset: number, act: Act) =>
      task.process([
        { key: Buffer.from('u'), value: Buffer.from(JSON.stringify(act)), offset: String(offset) },
      ]);
    pipe(3, { ts: 1_000, kind: 'c' }); // bridges the two sessions
    pipe(4, { ts: 1_700, kind: 'e' });
    clock = IDLE + 100_000;
    task.punctuate();
    const out = task.takeCommit().outbox.map((m) => JSON.parse(m.value) as SessionResult<string>);
    expect(
      out.map(
        (r) =>
          `${r.start}-${r.last}:${r.value}${r.final ? ':final' : ''}${r.retracted ? ':retracted' : ''}`,
      ),
    ).toEqual(['1600-1600:d:retracted', '0-1600:abcd', '0-1700:abcde', '0-1700:abcde:final']);
  });
});
