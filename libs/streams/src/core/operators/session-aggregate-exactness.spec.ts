import fc from 'fast-check';
import { MinHeap } from '../min-heap';
import { Serdes } from '../serde';
import { StreamTask, TaskOptions, TaskRestore } from '../task';
import { NodeDefinition, Rec, Topology, TopologyBuilder } from '../topology';
import { prng } from '../../testing/prng';
import { SessionAggregateOptions, sessionAggregateNode } from './session-aggregate';

/*
 * The session fold keeps only the records newer than the watermark (the rest is folded). This proves
 * it emits exactly what the previous implementation, which kept every record of an open session and
 * re-segmented them all, emitted: on random input with out-of-order and late records, idle watermark
 * advances, max-duration splits, restarts, failed attempts that are rolled back, and state stored
 * by the previous implementation.
 */

/** The previous implementation, verbatim but for its name: the reference. */
function legacySessionAggregateNode<V, A>(
  name: string,
  o: SessionAggregateOptions<V, A>,
): NodeDefinition {
  interface Session {
    start: number;
    last: number;
    count: number;
    agg: A;
  }
  interface KeyState {
    events: Array<[number, V]>;
    sessions: Session[];
  }
  const storeName = o.store ?? `${name}-store`;
  const maxDuration = o.maxDurationMs ?? Number.POSITIVE_INFINITY;
  const closesAt = (s: Session) => Math.min(s.last + o.gapMs, s.start + maxDuration);
  const startsNew = (s: Session, t: number) => t - s.last >= o.gapMs || t - s.start >= maxDuration;
  const asRec = (key: string, t: number, v: V): Rec<V> => ({ key, timestamp: t, value: v });
  return {
    name,
    stores: [storeName],
    create(ctx) {
      const store = ctx.store<KeyState>(storeName);
      const closing = new MinHeap<string>();
      const scheduled = new Map<string, number>();
      const schedule = (key: string, at: number) => {
        const current = scheduled.get(key);
        if (current !== undefined && current <= at) return;
        scheduled.set(key, at);
        closing.push(at, key);
      };
      for (const [key, st] of store.entries())
        if (st.sessions.length) schedule(key, closesAt(st.sessions[0]));
      const segment = (key: string, events: Array<[number, V]>): Session[] => {
        const out: Session[] = [];
        for (const [t, v] of events) {
          const cur = out[out.length - 1];
          if (!cur || startsNew(cur, t))
            out.push({
              start: t,
              last: t,
              count: 1,
              agg: o.aggregator(o.initializer(), v, asRec(key, t, v)),
            });
          else {
            cur.agg = o.aggregator(cur.agg, v, asRec(key, t, v));
            cur.last = t;
            cur.count++;
          }
        }
        return out;
      };
      const emit = (key: string, s: Session, final: boolean, retracted = false) =>
        ctx.forward({
          key,
          timestamp: s.start,
          value: {
            key,
            start: s.start,
            last: s.last,
            count: s.count,
            value: s.agg,
            final,
            retracted,
          },
        });
      return {
        process(rec) {
          const value = rec.value as V;
          const key = o.groupKey ? o.groupKey(value, rec as Rec<V>) : (rec.key ?? '');
          const t = rec.timestamp;
          const prev = store.get(key) ?? { events: [], sessions: [] };
          const lastT = prev.events.length
            ? prev.events[prev.events.length - 1][0]
            : Number.NEGATIVE_INFINITY;
          let next: KeyState;
          let changed: Session[];
          let retracted: Session[] = [];
          if (t >= lastT) {
            const cur = prev.sessions[prev.sessions.length - 1];
            const extend = cur !== undefined && !startsNew(cur, t);
            const agg = o.aggregator(extend ? cur.agg : o.initializer(), value, rec as Rec<V>);
            const sessions = extend ? prev.sessions.slice(0, -1) : prev.sessions.slice();
            sessions.push(
              extend
                ? { start: cur.start, last: t, count: cur.count + 1, agg }
                : { start: t, last: t, count: 1, agg },
            );
            const events = prev.events.slice();
            events.push([t, value]);
            next = { events, sessions };
            changed = [sessions[sessions.length - 1]];
          } else {
            const events = prev.events.slice();
            let i = events.length;
            while (i > 0 && events[i - 1][0] > t) i--;
            events.splice(i, 0, [t, value]);
            const sessions = segment(key, events);
            const before = new Map(prev.sessions.map((s) => [s.start, s]));
            changed = sessions.filter((s) => {
              const b = before.get(s.start);
              return !b || b.last !== s.last || b.count !== s.count;
            });
            const starts = new Set(sessions.map((s) => s.start));
            retracted = prev.sessions.filter((s) => !starts.has(s.start));
            next = { events, sessions };
          }
          store.put(key, next);
          schedule(key, closesAt(next.sessions[0]));
          if (o.emit !== 'update') return;
          for (const s of retracted) emit(key, s, false, true);
          for (const s of changed) emit(key, s, false);
        },
        onWatermark(watermark) {
          for (let top = closing.peek(); top && top.p <= watermark; top = closing.peek()) {
            closing.pop();
            if (scheduled.get(top.v) !== top.p) continue;
            scheduled.delete(top.v);
            const st = store.get(top.v);
            if (!st || st.sessions.length === 0) continue;
            let closed = 0;
            while (closed < st.sessions.length && closesAt(st.sessions[closed]) <= watermark)
              closed++;
            if (closed === 0) {
              schedule(top.v, closesAt(st.sessions[0]));
              continue;
            }
            const done = st.sessions.slice(0, closed);
            const rest = st.sessions.slice(closed);
            for (const s of done) emit(top.v, s, true);
            if (rest.length === 0) {
              store.delete(top.v);
              continue;
            }
            const events = st.events.filter(([t]) => t >= rest[0].start);
            store.put(top.v, { events, sessions: rest });
            schedule(top.v, closesAt(rest[0]));
          }
        },
      };
    },
  };
}

interface Act {
  user: string;
  ts: number;
  kind: string;
}

interface Shape {
  gap: number;
  max: number | null;
  emit: 'update' | 'final';
  /** Group by value.user while the record key is a device id; the fold also reads rec.key. */
  grouped: boolean;
}

let failNext = false; // a downstream failure armed by the harness, thrown once

function topologyOf(impl: 'new' | 'legacy', s: Shape): Topology {
  const b = new TopologyBuilder('exactness');
  const node = (impl === 'new' ? sessionAggregateNode : legacySessionAggregateNode)<Act, string>(
    'sessions',
    {
      gapMs: s.gap,
      maxDurationMs: s.max ?? undefined,
      groupKey: s.grouped ? (v) => v.user : undefined,
      initializer: () => '',
      aggregator: (a, v, rec) => `${a}${v.kind}${s.grouped ? `@${rec.key}` : ''}`,
      emit: s.emit,
    },
  );
  b.stream<Act>('in', {
    keySerde: Serdes.string(),
    valueSerde: Serdes.json<Act>(),
    timestamp: (v) => v.ts,
  })
    .process(node)
    .peek('fail', () => {
      if (!failNext) return;
      failNext = false;
      throw new Error('sink down');
    })
    .to('out', {
      topic: 'out',
      keySerde: Serdes.string(),
      valueSerde: Serdes.json(),
      key: (r) => r.key,
    });
  return b.build();
}

interface Step {
  act: Act;
  device: string;
  /** Wall-clock ms to let pass after the record (idle watermark advance), 0 for none. */
  idle: number;
  restart: boolean;
  fail: boolean;
}

const IDLE_TIMEOUT = 5;

/**
 * Runs the steps through one task (committing after each, JSON in and out like Postgres) and returns
 * every published record in order. `switchAt`: from that step on, `after` runs from the state
 * committed so far. `failures`: arm a downstream failure before the steps that have `fail`.
 */
function run(
  topology: Topology,
  steps: Step[],
  lateness: number,
  o: {
    failures?: boolean;
    switchAt?: number;
    after?: Topology;
    stored?: (json: string) => void;
  } = {},
): string[] {
  let clock = 0;
  const options: TaskOptions = {
    applicationId: 'exactness',
    allowedLatenessMs: lateness,
    idleTimeoutMs: IDLE_TIMEOUT,
    lateTopic: 'late',
    maxRetries: 1,
    clock: () => clock,
  };
  const committed = new Map<string, string>();
  let restore: TaskRestore = { stores: new Map(), watermark: null, nextOffset: null, nextSeq: 0 };
  let task = new StreamTask(topology, 'in', 0, options);
  const out: string[] = [];
  const commit = () => {
    const c = task.takeCommit();
    for (const m of c.outbox) out.push(`${m.topic} ${m.key} ${m.value}`);
    for (const [k, v] of c.storeChanges.get('sessions-store') ?? []) {
      if (v === undefined) committed.delete(k);
      else committed.set(k, JSON.stringify(v));
      if (v !== undefined) o.stored?.(committed.get(k)!);
    }
    restore = {
      stores: new Map(),
      watermark: c.watermark,
      nextOffset: c.nextOffset,
      nextSeq: c.nextSeq,
    };
  };
  const reopen = (t: Topology) => {
    const entries = [...committed].map(([k, v]) => [k, JSON.parse(v)] as [string, unknown]);
    task = new StreamTask(t, 'in', 0, options, {
      ...restore,
      stores: new Map([['sessions-store', entries]]),
    });
  };
  steps.forEach((step, i) => {
    if (i === o.switchAt) reopen(o.after!);
    failNext = !!o.failures && step.fail;
    task.process([
      {
        key: Buffer.from(step.device),
        value: Buffer.from(JSON.stringify(step.act)),
        offset: String(i),
      },
    ]);
    commit();
    if (step.idle) {
      clock += step.idle;
      failNext = !!o.failures && step.fail;
      // A failed watermark step changes nothing; it is simply tried again (as the runtime does).
      if (!tryTwice(() => task.punctuate())) throw new Error('punctuate failed twice');
      commit();
    }
    failNext = false;
    if (step.restart) reopen(i + 1 >= (o.switchAt ?? Infinity) ? o.after! : topology);
  });
  clock += 1e9;
  task.punctuate();
  commit();
  return out;
}

/** Published records by topic and key, each key's in order. */
function byKey(out: string[]): Map<string, string[]> {
  const keyed = new Map<string, string[]>();
  for (const line of out) {
    const at = line.indexOf(' ', line.indexOf(' ') + 1);
    const list = keyed.get(line.slice(0, at)) ?? [];
    list.push(line);
    keyed.set(line.slice(0, at), list);
  }
  return new Map([...keyed].sort(([a], [b]) => (a < b ? -1 : 1)));
}

function tryTwice(fn: () => unknown): boolean {
  for (let i = 0; i < 2; i++) {
    try {
      fn();
      return true;
    } catch {
      // rolled back; once more
    }
  }
  return false;
}

const shapeArb: fc.Arbitrary<Shape> = fc.record({
  gap: fc.integer({ min: 1, max: 40 }),
  max: fc.option(fc.integer({ min: 1, max: 120 }), { nil: null }),
  emit: fc.constantFrom('update' as const, 'final' as const),
  grouped: fc.boolean(),
});

/** Records of a few users in time order, then delivered shuffled (sometimes beyond the lateness). */
const inputArb = fc
  .record({
    lateness: fc.integer({ min: 0, max: 80 }),
    records: fc.array(
      fc.record({
        user: fc.constantFrom('u0', 'u0', 'u0', 'u1', 'u2'), // one busy user: long tails
        device: fc.constantFrom('d0', 'u0'), // grouped: u0's record key is its group key, or not
        dt: fc.oneof(
          fc.constant(0),
          fc.integer({ min: 0, max: 3 }),
          fc.integer({ min: 0, max: 15 }),
          fc.integer({ min: 0, max: 60 }),
        ),
        delay: fc.oneof(
          fc.constant(0),
          fc.integer({ min: 0, max: 60 }),
          fc.integer({ min: 0, max: 200 }),
        ),
        kind: fc.constantFrom('a', 'b', 'c', 'd'),
        idle: fc.oneof(
          fc.constant(0),
          fc.constant(0),
          fc.constant(0),
          fc.integer({ min: 1, max: 60 }),
        ),
        restart: fc.integer({ min: 0, max: 9 }).map((n) => n < 2),
        fail: fc.boolean(),
      }),
      { minLength: 1, maxLength: 150 },
    ),
  })
  .map(({ lateness, records }) => {
    let t = 1_000;
    const timed = records.map((r) => ({ ...r, ts: (t += r.dt) }));
    const steps: Step[] = timed
      .map((r, i) => ({ r, i, at: r.ts + r.delay }))
      .sort((a, b) => a.at - b.at || a.i - b.i)
      .map(({ r }) => ({
        act: { user: r.user, ts: r.ts, kind: r.kind },
        device: r.device,
        idle: r.idle,
        restart: r.restart,
        fail: r.fail,
      }));
    return { lateness, steps };
  });

describe('session aggregate: exactly the previous implementation', () => {
  it('on random input: out of order within and beyond the lateness, idle advances, max-duration splits, restarts', () => {
    fc.assert(
      fc.property(shapeArb, inputArb, (shape, { lateness, steps }) => {
        const plainSteps = steps.map((s) => ({ ...s, restart: false }));
        const expected = run(topologyOf('legacy', shape), plainSteps, lateness);
        expect(run(topologyOf('new', shape), plainSteps, lateness)).toEqual(expected);
        // Restarts (state through JSON) and rolled-back failed attempts: the same again, key by key.
        // (The previous implementation never changed a stored value, so a rollback could not touch
        // its state. After a failed step it is created again from its store, where the new node is
        // kept and re-indexes only the keys put back: keys due at one watermark may then close in
        // another order, as after any restart, but each key's records are the same and in order.)
        const failing = { failures: true };
        expect(byKey(run(topologyOf('new', shape), steps, lateness, failing))).toEqual(
          byKey(run(topologyOf('legacy', shape), steps, lateness, failing)),
        );
      }),
      { numRuns: 300 },
    );
  });

  it('restores state stored by the previous implementation and goes on exactly as it would have', () => {
    fc.assert(
      fc.property(
        shapeArb,
        inputArb,
        fc.double({ min: 0, max: 1, noNaN: true }),
        (shape, { lateness, steps }, at) => {
          const plainSteps = steps.map((s) => ({ ...s, restart: false }));
          const switchAt = Math.floor(at * steps.length);
          const legacy = topologyOf('legacy', shape);
          const expected = run(legacy, plainSteps, lateness, { switchAt, after: legacy });
          expect(
            run(legacy, plainSteps, lateness, { switchAt, after: topologyOf('new', shape) }),
          ).toEqual(expected);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a record exactly at the watermark goes before the kept records newer than it; one behind it is late', () => {
    const shape: Shape = { gap: 100, max: null, emit: 'update', grouped: false };
    const step = (ts: number, kind: string): Step => ({
      act: { user: 'u', ts, kind },
      device: 'u',
      idle: 0,
      restart: false,
      fail: false,
    });
    const steps = [
      step(0, 'a'),
      step(20, 'd'),
      step(11, 'c'),
      step(10, 'b'),
      step(9, 'late'),
      step(500, 'e'),
    ];
    const out = run(topologyOf('new', shape), steps, 10);
    expect(
      out
        .filter((l) => l.includes('"final":true'))
        .map((l) => (JSON.parse(l.split(' ')[2]) as { value: string }).value),
    ).toEqual(['abcd', 'e']);
    expect(out.filter((l) => l.startsWith('late '))).toHaveLength(1);
    expect(run(topologyOf('legacy', shape), steps, 10)).toEqual(out);
  });

  it('grouped records under their own key and another: a re-segmentation folds them as before', () => {
    // The fold reads rec.key: in order it sees the record's key, a re-segmentation the group key.
    const shape: Shape = { gap: 100, max: null, emit: 'update', grouped: true };
    const step = (ts: number, device: string): Step => ({
      act: { user: 'u0', ts, kind: 'k' },
      device,
      idle: 0,
      restart: false,
      fail: false,
    });
    const steps = [
      step(1_000, 'd0'),
      step(1_001, 'u0'),
      step(1_020, 'd0'),
      step(1_015, 'd0'),
      step(1_016, 'u0'),
    ];
    const out = run(topologyOf('new', shape), steps, 10);
    expect(out.at(-1)).toContain('"value":"k@u0k@u0k@u0k@u0k@u0"');
    expect(run(topologyOf('legacy', shape), steps, 10)).toEqual(out);
  });

  it('one busy user: the same results, and the stored state stays bounded by rate × lateness', () => {
    // 3,000 records 10 ms apart (one session but for max-duration splits), delivered up to 200 ms late.
    const shape: Shape = { gap: 1_000, max: 12_000, emit: 'update', grouped: false };
    const rnd = prng(5);
    const steps = Array.from({ length: 3_000 }, (_, i) => ({
      i,
      at: i * 10 + Math.floor(rnd() * 200),
    }))
      .sort((a, b) => a.at - b.at || a.i - b.i)
      .map(({ i }): Step => ({
        act: { user: 'u', ts: i * 10, kind: 'abc'[i % 3] },
        device: 'u',
        idle: 0,
        restart: i % 500 === 0,
        fail: i % 7 === 0,
      }));
    let newMax = 0;
    let legacyMax = 0;
    const out = run(topologyOf('new', shape), steps, 200, {
      failures: true,
      stored: (json) => (newMax = Math.max(newMax, json.length)),
    });
    const expected = run(topologyOf('legacy', shape), steps, 200, {
      failures: true,
      stored: (json) => (legacyMax = Math.max(legacyMax, json.length)),
    });
    expect(out).toEqual(expected);
    expect(out.filter((l) => l.includes('"final":true'))).toHaveLength(3);
    // The aggregate (here every kind, ≤ 1,200 a session) as the session and as its folded base, and
    // ~20 records newer than the watermark; before, every record of the open session as well.
    expect(newMax).toBeLessThan(2 * 1_200 + 1_500);
    expect(legacyMax).toBeGreaterThan(1_200 * 30);
  });

  it('the input exercises what it claims to', () => {
    // One fixed case, checked by hand: out-of-order merge, a late record, an idle close, a max split.
    const shape: Shape = { gap: 10, max: 25, emit: 'update', grouped: false };
    const step = (ts: number, kind: string, idle = 0): Step => ({
      act: { user: 'u', ts, kind },
      device: 'u',
      idle,
      restart: false,
      fail: false,
    });
    const steps = [
      step(0, 'a'),
      step(12, 'c'),
      step(6, 'b'),
      step(20, 'd'),
      step(26, 'e'),
      step(1, 'late'),
      step(30, 'f', 100),
    ];
    const out = run(topologyOf('new', shape), steps, 8);
    const brief = out.map((line) => {
      const [topic, , json] = line.split(' ');
      if (topic === 'late') return 'late';
      const r = JSON.parse(json) as {
        start: number;
        last: number;
        value: string;
        final: boolean;
        retracted: boolean;
      };
      return `${r.start}-${r.last}:${r.value}${r.final ? ':final' : ''}${r.retracted ? ':retracted' : ''}`;
    });
    expect(brief).toEqual([
      '0-0:a',
      '12-12:c',
      '12-12:c:retracted',
      '0-12:abc',
      '0-20:abcd',
      '26-26:e', // 26 - 0 >= 25: max duration
      'late',
      '26-30:ef',
      '0-20:abcd:final', // both closed by the idle advance
      '26-30:ef:final',
    ]);
    expect(run(topologyOf('legacy', shape), steps, 8)).toEqual(out);
  });
});
