import { TopologyTestDriver } from '../testing/topology-test-driver';
import { SessionResult } from './operators/session-aggregate';
import { WindowedResult } from './operators/windowed-aggregate';
import { Serdes } from './serde';
import { applyStoreChanges } from './store-changes';
import {
  OutboxMessage,
  PoisonError,
  RawRecord,
  StreamTask,
  TaskCommit,
  TaskOptions,
  TaskRestore,
} from './task';
import { NodeInstance, ProcessorContext, Rec } from './processor';
import { Topology, TopologyBuilder } from './topology';
import { TumblingWindows } from './windows';

interface Click {
  user: string;
  ts: number;
}
interface DeadLetter {
  original: string | null;
  reason: string;
  field: null;
  message: string;
  source: string;
  failed_at: string;
  topic: string;
  partition: number;
  offset: string;
  attempts: number;
}

const clickSource = {
  keySerde: Serdes.string(),
  valueSerde: Serdes.json<Click>(),
  timestamp: (v: Click) => v.ts,
};

/** Per user and 1 s window: a count, to a topic and to a table whose row function may fail. */
function clickCounter(
  emit: 'update' | 'final',
  fail: (r: WindowedResult<number>) => boolean = () => false,
): Topology {
  const b = new TopologyBuilder('click-counter');
  const counts = b.stream<Click>('clicks', clickSource).windowedAggregate<number>('count', {
    window: TumblingWindows.of(1_000),
    initializer: () => 0,
    aggregator: (a) => a + 1,
    emit,
  });
  counts.to('publish', {
    topic: 'counts',
    keySerde: Serdes.string(),
    valueSerde: Serdes.json(),
    key: (r) => r.key,
  });
  counts.toTable('rows', {
    table: 'counts',
    columns: { user: 'text', start: 'bigint', count: 'integer', final: 'boolean' },
    primaryKey: ['user', 'start'],
    row: (r) => {
      if (fail(r.value)) throw new Error('sink down');
      return {
        user: r.value.key,
        start: r.value.window.start,
        count: r.value.value,
        final: r.value.final,
      };
    },
  });
  return b.build();
}

/** Per user session counts (gap 1 s), to a topic and a table whose row function may fail. */
function sessionCounter(
  emit: 'update' | 'final',
  fail: (r: SessionResult<number>) => boolean = () => false,
): Topology {
  const b = new TopologyBuilder('session-counter');
  const sessions = b.stream<Click>('clicks', clickSource).sessionAggregate<number>('sessions', {
    gapMs: 1_000,
    initializer: () => 0,
    aggregator: (a) => a + 1,
    emit,
  });
  sessions.to('publish', {
    topic: 'sessions',
    keySerde: Serdes.string(),
    valueSerde: Serdes.json(),
    key: (r) => r.key,
  });
  sessions.toTable('rows', {
    table: 'sessions',
    columns: { user: 'text', start: 'bigint', count: 'integer', final: 'boolean' },
    primaryKey: ['user', 'start'],
    row: (r) => {
      if (fail(r.value)) throw new Error('sink down');
      return r.value.retracted
        ? null
        : { user: r.value.key, start: r.value.start, count: r.value.count, final: r.value.final };
    },
    deleteKey: (r) => ({ user: r.value.key, start: r.value.start }),
  });
  return b.build();
}

const click = (user: string, ts: number): Click => ({ user, ts });

describe('poison records', () => {
  it('malformed JSON goes to the dead-letter topic with reason deserialization_failed, the payload and offset; later records are processed', () => {
    const d = new TopologyTestDriver(clickCounter('update'), {
      deadLetterTopic: 'dlq',
      wallClock: Date.UTC(2024, 5, 1),
    });
    d.pipe('clicks', 'a', click('a', 10));
    d.pipe('clicks', 'a', '{"user":"a","ts":');
    d.pipe('clicks', 'a', click('a', 20));
    expect(d.readOutput<DeadLetter>('dlq')).toEqual([
      {
        key: 'a',
        value: {
          original: '{"user":"a","ts":',
          reason: 'deserialization_failed',
          field: null,
          message: expect.stringMatching(/^json: /),
          source: 'click-counter',
          failed_at: new Date(Date.UTC(2024, 5, 1)).toISOString(),
          topic: 'clicks',
          partition: 0,
          offset: '1',
          // The deserialisation handler dead-letters at once: a parse that failed fails again.
          attempts: 1,
        },
      },
    ]);
    expect(d.readTable('counts')).toEqual([{ user: 'a', start: 0, count: 2, final: false }]);
  });

  it('a record without a value (tombstone) and a value the serde rejects are dead-lettered too', () => {
    const b = new TopologyBuilder('strict');
    b.stream<Click>('clicks', {
      keySerde: Serdes.string(),
      valueSerde: Serdes.json((v: unknown) => {
        if (typeof (v as Click).ts !== 'number') throw new Error('ts must be a number');
        return v as Click;
      }),
      timestamp: (v) => v.ts,
    }).to('out', {
      topic: 'out',
      keySerde: Serdes.string(),
      valueSerde: Serdes.json(),
      key: (r) => r.key,
    });
    const d = new TopologyTestDriver(b.build(), { deadLetterTopic: 'dlq' });
    d.pipe('clicks', 'a', null);
    d.pipe('clicks', 'a', { user: 'a', ts: 'yesterday' });
    d.pipe('clicks', 'a', click('a', 1));
    expect(
      d
        .readOutput<DeadLetter>('dlq')
        .map((r) => [r.value.reason, r.value.original, r.value.offset, r.value.message]),
    ).toEqual([
      ['deserialization_failed', null, '0', 'record has no value (tombstone)'],
      ['deserialization_failed', '{"user":"a","ts":"yesterday"}', '1', 'json: ts must be a number'],
    ]);
    expect(d.readOutput('out')).toEqual([{ key: 'a', value: click('a', 1) }]);
  });

  it('an event time that is not a number is dead-lettered as invalid_timestamp', () => {
    const d = new TopologyTestDriver(clickCounter('update'), { deadLetterTopic: 'dlq' });
    d.pipe('clicks', 'a', { user: 'a' });
    expect(d.readOutput<DeadLetter>('dlq').map((r) => r.value.reason)).toEqual([
      'invalid_timestamp',
    ]);
    expect(d.watermark()).toBeNull();
  });

  it('a processor that always throws is tried 1 + maxRetries times, then dead-lettered with processing_failed, leaving no partial state', () => {
    let calls = 0;
    const b = new TopologyBuilder('fragile');
    b.stream<Click>('clicks', clickSource)
      .process<Click>({
        name: 'remember-then-fail',
        stores: ['seen'],
        create: (ctx) => ({
          process: (rec) => {
            calls++;
            const seen = ctx.store<number>('seen');
            seen.put(rec.key!, (seen.get(rec.key!) ?? 0) + 1);
            seen.put(`${rec.key}-extra`, 1);
            if (rec.key === 'bad') throw new Error('cannot handle bad');
            ctx.forward(rec);
          },
        }),
      })
      .to('out', {
        topic: 'out',
        keySerde: Serdes.string(),
        valueSerde: Serdes.json(),
        key: (r) => r.key,
      });
    const d = new TopologyTestDriver(b.build(), { deadLetterTopic: 'dlq', maxRetries: 4 });
    d.pipe('clicks', 'good', click('good', 1));
    calls = 0;
    d.pipe('clicks', 'bad', click('bad', 2));
    expect(calls).toBe(5);
    const [dead] = d.readOutput<DeadLetter>('dlq');
    expect(dead.value).toMatchObject({
      reason: 'processing_failed',
      message: 'cannot handle bad',
      offset: '1',
      attempts: 5,
      original: JSON.stringify(click('bad', 2)),
    });
    expect(d.store('seen')).toEqual(
      new Map([
        ['good', 1],
        ['good-extra', 1],
      ]),
    );
    // A dead-lettered record does not move the watermark.
    expect(d.watermark()).toBe(1);
    d.pipe('clicks', 'good', click('good', 3));
    expect(d.store('seen').get('good')).toBe(2);
    expect(d.readOutput('out').map((r) => r.value)).toEqual([click('good', 1), click('good', 3)]);
  });

  it('maxRetries 0: one attempt only', () => {
    let calls = 0;
    const b = new TopologyBuilder('fragile');
    b.stream<Click>('clicks', clickSource).peek('boom', () => {
      calls++;
      throw new Error('no');
    });
    const d = new TopologyTestDriver(b.build(), { deadLetterTopic: 'dlq', maxRetries: 0 });
    d.pipe('clicks', 'a', click('a', 1));
    expect(calls).toBe(1);
    expect(d.readOutput<DeadLetter>('dlq')[0].value.attempts).toBe(1);
  });

  it('a processor that throws once then succeeds (transient) is not dead-lettered and counts once', () => {
    let failuresLeft = 1;
    const d = new TopologyTestDriver(
      clickCounter('update', (r) => {
        if (r.value === 2 && failuresLeft > 0) {
          failuresLeft--;
          return true;
        }
        return false;
      }),
      { deadLetterTopic: 'dlq', maxRetries: 2 },
    );
    d.pipe('clicks', 'a', click('a', 1));
    d.pipe('clicks', 'a', click('a', 2));
    d.pipe('clicks', 'a', click('a', 3));
    expect(failuresLeft).toBe(0);
    expect(d.readOutput('dlq')).toEqual([]);
    expect(d.readOutput<WindowedResult<number>>('counts').map((r) => r.value.value)).toEqual([
      1, 2, 3,
    ]);
    expect(d.readTable('counts')).toEqual([{ user: 'a', start: 0, count: 3, final: false }]);
    expect(d.store<{ a: number }>('count-store').get('0\u0001a')!.a).toBe(3);
  });

  it('after a failed attempt a node with restored() is kept and told the keys put back; others are created again', () => {
    const created = { kept: 0, rebuilt: 0 };
    const told: Array<Array<[string, string[]]>> = [];
    let failuresLeft = 1;
    const counter = (name: 'kept' | 'rebuilt') => ({
      name: `${name}-node`,
      stores: [`${name}-store`],
      create: (ctx: ProcessorContext) => {
        created[name]++;
        const store = ctx.store<number>(`${name}-store`);
        const instance: NodeInstance = {
          process: (rec: Rec) => {
            const user = (rec.value as Click).user;
            store.put(user, (store.get(user) ?? 0) + 1);
            ctx.forward(rec);
          },
        };
        if (name === 'kept')
          instance.restored = (keys) =>
            told.push([...keys].map(([storeName, put]) => [storeName, [...put]]));
        return instance;
      },
    });
    const b = new TopologyBuilder('restore-test');
    b.stream<Click>('clicks', clickSource)
      .process(counter('kept'))
      .process(counter('rebuilt'))
      .peek('restore-test-fail', () => {
        if (failuresLeft-- > 0) throw new Error('sink down');
      });
    const d = new TopologyTestDriver(b.build(), { maxRetries: 2 });
    d.pipe('clicks', 'a', click('a', 1));
    expect(created).toEqual({ kept: 1, rebuilt: 2 });
    expect(told).toEqual([[['kept-store', ['a']]]]);
    // The rolled-back attempt left no trace in either store.
    expect(d.store<number>('kept-store').get('a')).toBe(1);
    expect(d.store<number>('rebuilt-store').get('a')).toBe(1);
  });

  describe('a throwing table sink after a stateful step leaves no partial state: counts stay exact', () => {
    it('windowed aggregate, emit update, transient failure on an update', () => {
      let failuresLeft = 2;
      const d = new TopologyTestDriver(
        clickCounter('update', (r) => !r.final && r.value === 2 && failuresLeft-- > 0),
        { deadLetterTopic: 'dlq', maxRetries: 2 },
      );
      for (const ts of [100, 200, 300, 400, 1_000]) d.pipe('clicks', 'a', click('a', ts));
      expect(d.readOutput('dlq')).toEqual([]);
      const outs = d.readOutput<WindowedResult<number>>('counts').map((r) => r.value);
      expect(outs.filter((o) => o.window.start === 0).map((o) => [o.value, o.final])).toEqual([
        [1, false],
        [2, false],
        [3, false],
        [4, false],
        [4, true],
      ]);
      expect(d.readTable('counts')).toEqual([
        { user: 'a', start: 0, count: 4, final: true },
        { user: 'a', start: 1_000, count: 1, final: false },
      ]);
    });

    it.each(['final', 'update'] as const)(
      'windowed aggregate, emit %s, transient failure on the final result (emitted while the watermark advances)',
      (emit) => {
        let finalAttempts = 0;
        const failFirst = (r: WindowedResult<number>) =>
          r.final && r.window.start === 0 && ++finalAttempts === 1;
        const d = new TopologyTestDriver(clickCounter(emit, failFirst), {
          deadLetterTopic: 'dlq',
          maxRetries: 2,
        });
        for (const ts of [100, 200, 300, 1_100, 1_200, 2_500])
          d.pipe('clicks', 'a', click('a', ts));
        expect(finalAttempts).toBe(2);
        expect(d.readOutput('dlq')).toEqual([]);
        const finals = d
          .readOutput<WindowedResult<number>>('counts')
          .map((r) => r.value)
          .filter((o) => o.final);
        expect(finals.map((o) => [o.window.start, o.value])).toEqual([
          [0, 3],
          [1_000, 2],
        ]);
        const rows = d
          .readTable<{ start: number; count: number; final: boolean }>('counts')
          .filter((r) => r.final);
        expect(rows.map((r) => [r.start, r.count])).toEqual([
          [0, 3],
          [1_000, 2],
        ]);
        // The record whose watermark advance failed once is counted exactly once in its own window.
        expect(
          [...d.store<{ s: number; a: number }>('count-store').values()].map((v) => [v.s, v.a]),
        ).toEqual([[2_000, 1]]);
      },
    );

    it('windowed aggregate, emit final, permanent failure on the final result: the record that closes it is dead-lettered, nothing is lost or doubled', () => {
      let broken = true;
      const d = new TopologyTestDriver(
        clickCounter('final', (r) => broken && r.window.start === 0),
        { deadLetterTopic: 'dlq', maxRetries: 2 },
      );
      for (const ts of [100, 200, 300]) d.pipe('clicks', 'a', click('a', ts));
      d.pipe('clicks', 'a', click('a', 1_500)); // moves the watermark past [0, 1 s): the sink fails 3 times
      const dead = d.readOutput<DeadLetter>('dlq');
      expect(
        dead.map((r) => [r.value.reason, r.value.offset, r.value.message, r.value.attempts]),
      ).toEqual([['processing_failed', '3', 'sink down', 3]]);
      expect(d.readOutput('counts')).toEqual([]);
      expect(d.readTable('counts')).toEqual([]);
      expect(d.watermark()).toBe(300);
      expect(
        [...d.store<{ s: number; a: number }>('count-store').values()].map((v) => [v.s, v.a]),
      ).toEqual([[0, 3]]);
      broken = false;
      d.pipe('clicks', 'a', click('a', 1_600));
      expect(
        d
          .readOutput<WindowedResult<number>>('counts')
          .map((r) => [r.value.window.start, r.value.value]),
      ).toEqual([[0, 3]]);
      d.pipe('clicks', 'a', click('a', 5_000));
      expect(
        d.readTable<{ start: number; count: number }>('counts').map((r) => [r.start, r.count]),
      ).toEqual([
        [0, 3],
        [1_000, 1],
      ]);
    });

    it('several windows closing in one watermark advance, one sink failure: each is emitted exactly once', () => {
      let attempts = 0;
      const failOnce = (r: WindowedResult<number>) => r.final && r.key === 'c' && ++attempts === 1;
      const d = new TopologyTestDriver(clickCounter('final', failOnce), { deadLetterTopic: 'dlq' });
      for (const user of ['a', 'b', 'c', 'd']) d.pipe('clicks', user, click(user, 500));
      d.pipe('clicks', 'a', click('a', 600));
      d.pipe('clicks', 'e', click('e', 1_000)); // closes all four [0, 1 s) windows at once
      expect(attempts).toBe(2);
      expect(d.readOutput('dlq')).toEqual([]);
      expect(
        d.readOutput<WindowedResult<number>>('counts').map((r) => [r.value.key, r.value.value]),
      ).toEqual([
        ['a', 2],
        ['b', 1],
        ['c', 1],
        ['d', 1],
      ]);
      expect(d.store('count-store').size).toBe(1); // e's open window only
    });

    it('session aggregate, emit update, transient failure on an update', () => {
      let failuresLeft = 1;
      const d = new TopologyTestDriver(
        sessionCounter('update', (r) => !r.final && r.count === 2 && failuresLeft-- > 0),
        { deadLetterTopic: 'dlq', maxRetries: 2 },
      );
      for (const ts of [100, 200, 300]) d.pipe('clicks', 'a', click('a', ts));
      d.advanceWallClock(30_000 + 10_000);
      expect(d.readOutput('dlq')).toEqual([]);
      expect(
        d.readOutput<SessionResult<number>>('sessions').map((r) => [r.value.count, r.value.final]),
      ).toEqual([
        [1, false],
        [2, false],
        [3, false],
        [3, true],
      ]);
      expect(d.readTable('sessions')).toEqual([{ user: 'a', start: 100, count: 3, final: true }]);
    });

    it('session aggregate, emit update, transient failure on an out-of-order merge', () => {
      let failuresLeft = 1;
      const d = new TopologyTestDriver(
        sessionCounter('update', (r) => r.retracted && failuresLeft-- > 0),
        { deadLetterTopic: 'dlq', allowedLatenessMs: 5_000 },
      );
      for (const ts of [0, 1_500, 800]) d.pipe('clicks', 'a', click('a', ts));
      d.advanceWallClock(30_000 + 10_000);
      expect(d.readOutput('dlq')).toEqual([]);
      expect(d.readTable('sessions')).toEqual([{ user: 'a', start: 0, count: 3, final: true }]);
    });

    it('session aggregate, emit final, transient failure on the closed session', () => {
      let failuresLeft = 1;
      const d = new TopologyTestDriver(
        sessionCounter('final', (r) => r.start === 100 && failuresLeft-- > 0),
        { deadLetterTopic: 'dlq' },
      );
      for (const ts of [100, 200, 300, 2_000, 2_100]) d.pipe('clicks', 'a', click('a', ts));
      d.advanceWallClock(30_000 + 10_000);
      expect(d.readOutput('dlq')).toEqual([]);
      expect(
        d.readOutput<SessionResult<number>>('sessions').map((r) => [r.value.start, r.value.count]),
      ).toEqual([
        [100, 3],
        [2_000, 2],
      ]);
    });
  });

  it('a failure while an idle tick closes windows leaves the task as it was; a later tick closes them once', () => {
    let broken = true;
    const d = new TopologyTestDriver(
      clickCounter('final', (r) => broken && r.window.start === 0),
      { idleTimeoutMs: 1_000 },
    );
    d.pipe('clicks', 'a', click('a', 100));
    d.pipe('clicks', 'a', click('a', 200));
    expect(() => d.advanceWallClock(1_000 + 5_000)).toThrow('sink down');
    expect(d.watermark()).toBe(200);
    expect(d.store('count-store').size).toBe(1);
    broken = false;
    d.advanceWallClock(1);
    expect(
      d
        .readOutput<WindowedResult<number>>('counts')
        .map((r) => [r.value.window.start, r.value.value, r.value.final]),
    ).toEqual([[0, 2, true]]);
    expect(d.store('count-store').size).toBe(0);
  });
});

describe('table sinks', () => {
  interface Kv {
    id: string;
    region: string;
    v?: number;
    del?: boolean;
    ts: number;
  }
  function kvTopology(withDeleteKey = true): Topology {
    const b = new TopologyBuilder('kv');
    b.stream<Kv>('kv', {
      keySerde: Serdes.string(),
      valueSerde: Serdes.json<Kv>(),
      timestamp: (v) => v.ts,
    }).toTable('table', {
      table: 'kv',
      columns: { id: 'text', region: 'text', v: 'integer' },
      primaryKey: ['id', 'region'],
      row: (r) => (r.value.del ? null : { id: r.value.id, region: r.value.region, v: r.value.v }),
      deleteKey: withDeleteKey ? (r) => ({ id: r.value.id, region: r.value.region }) : undefined,
    });
    return b.build();
  }

  it('upsert keeps the last row per primary key', () => {
    const d = new TopologyTestDriver(kvTopology());
    d.pipe('kv', 'a', { id: 'a', region: 'eu', v: 1, ts: 1 });
    d.pipe('kv', 'a', { id: 'a', region: 'us', v: 10, ts: 2 });
    d.pipe('kv', 'a', { id: 'a', region: 'eu', v: 2, ts: 3 });
    d.pipe('kv', 'b', { id: 'b', region: 'eu', v: 7, ts: 4 });
    d.pipe('kv', 'a', { id: 'a', region: 'eu', v: 3, ts: 5 });
    const rows = d
      .readTable<{ id: string; region: string; v: number }>('kv')
      .sort((x, y) => (x.id + x.region < y.id + y.region ? -1 : 1));
    expect(rows).toEqual([
      { id: 'a', region: 'eu', v: 3 },
      { id: 'a', region: 'us', v: 10 },
      { id: 'b', region: 'eu', v: 7 },
    ]);
  });

  it('a null row with deleteKey deletes that row only', () => {
    const d = new TopologyTestDriver(kvTopology());
    d.pipe('kv', 'a', { id: 'a', region: 'eu', v: 1, ts: 1 });
    d.pipe('kv', 'a', { id: 'a', region: 'us', v: 2, ts: 2 });
    d.pipe('kv', 'a', { id: 'a', region: 'eu', del: true, ts: 3 });
    expect(d.readTable('kv')).toEqual([{ id: 'a', region: 'us', v: 2 }]);
    // Deleting a row that does not exist is fine.
    d.pipe('kv', 'z', { id: 'z', region: 'eu', del: true, ts: 4 });
    expect(d.readTable('kv')).toEqual([{ id: 'a', region: 'us', v: 2 }]);
  });

  it('a null row without deleteKey is a processing failure', () => {
    const d = new TopologyTestDriver(kvTopology(false), { deadLetterTopic: 'dlq', maxRetries: 0 });
    d.pipe('kv', 'a', { id: 'a', region: 'eu', del: true, ts: 1 });
    expect(d.readOutput<DeadLetter>('dlq').map((r) => [r.value.reason, r.value.message])).toEqual([
      ['processing_failed', 'table sink table returned no row and has no deleteKey'],
    ]);
  });

  it('the task reports table writes with their sink, row and key', () => {
    const task = new StreamTask(kvTopology(), 'kv', 0, {
      applicationId: 'kv',
      allowedLatenessMs: 0,
      idleTimeoutMs: 1_000,
      maxRetries: 0,
      clock: () => 0,
    });
    task.process([
      raw(0, 'a', { id: 'a', region: 'eu', v: 1, ts: 1 }),
      raw(1, 'a', { id: 'a', region: 'eu', del: true, ts: 2 }),
    ]);
    const c = task.takeCommit();
    expect(c.tableWrites.map((w) => [w.sink.table, w.row, w.key])).toEqual([
      ['kv', { id: 'a', region: 'eu', v: 1 }, { id: 'a', region: 'eu', v: 1 }],
      ['kv', null, { id: 'a', region: 'eu' }],
    ]);
  });
});

/* StreamTask directly: offsets, commits, outbox numbering and restore after a crash. */

function raw(offset: number, key: string | null, value: unknown): RawRecord {
  return {
    key: key === null ? null : Buffer.from(key),
    value:
      value === null
        ? null
        : Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
    offset: String(offset),
  };
}

/** What a runtime would persist: applies one commit to the committed state (like Postgres). */
function apply(committed: TaskRestore, c: TaskCommit, published: OutboxMessage[]): void {
  applyStoreChanges(committed.stores, c.storeChanges);
  committed.watermark = c.watermark;
  committed.nextOffset = c.nextOffset;
  committed.nextSeq = c.nextSeq;
  published.push(...c.outbox);
}

const emptyRestore = (): TaskRestore => ({
  stores: new Map(),
  watermark: null,
  nextOffset: null,
  nextSeq: 0,
});

describe('StreamTask', () => {
  let wall = 0;
  const options: TaskOptions = {
    applicationId: 'click-counter',
    allowedLatenessMs: 500,
    idleTimeoutMs: 10_000,
    lateTopic: 'late',
    deadLetterTopic: 'dlq',
    maxRetries: 1,
    clock: () => wall,
  };
  const topology = clickCounter('update');
  const input: RawRecord[] = [];
  for (let i = 0; i < 60; i++)
    input.push(
      raw(
        i,
        `u${i % 3}`,
        i === 17
          ? 'not json'
          : i === 40
            ? click('u1', 0)
            : click(`u${i % 3}`, i * 137 - (i % 4) * 100),
      ),
    );

  beforeEach(() => {
    wall = 1_000_000;
  });

  it('id, resume offset and commit contents', () => {
    const task = new StreamTask(topology, 'clicks', 2, options);
    expect(task.id).toBe('clicks-2');
    expect(task.resumeOffset()).toBeNull();
    task.process(input.slice(0, 3));
    expect(task.resumeOffset()).toBe('3');
    const c = task.takeCommit();
    expect(c.nextOffset).toBe('3');
    expect(c.processed).toBe(3);
    expect(c.late).toBe(0);
    expect(c.deadLettered).toBe(0);
    expect(c.outbox.map((m) => m.seq)).toEqual([0, 1, 2]);
    expect(c.nextSeq).toBe(3);
    expect(c.outbox.every((m) => m.topic === 'counts')).toBe(true);
    expect([...c.storeChanges.keys()]).toEqual(['count-store']);
    expect(c.watermark).toMatchObject({
      maxEventTime: 74,
      watermark: -426,
      lastInputAt: 1_000_000,
    });
    // takeCommit resets what it returned.
    const empty = task.takeCommit();
    expect([empty.outbox, empty.tableWrites, empty.storeChanges.size, empty.processed]).toEqual([
      [],
      [],
      0,
      0,
    ]);
  });

  it('raiseWatermarkTo: closes what the floor passes, makes older records late, and reports the oldest accepted time', () => {
    const task = new StreamTask(topology, 'clicks', 0, options);
    task.process([raw(0, 'u0', click('u0', 100)), raw(1, 'u1', click('u1', 1_200))]);
    expect(task.takeCommit().minAcceptedTime).toBe(100); // watermark 700 (lateness 500)
    expect(task.raiseWatermarkTo(2_000)).toBe(true);
    expect(task.raiseWatermarkTo(1_000)).toBe(false); // never lowered
    const closed = task.takeCommit();
    expect(closed.watermark.watermark).toBe(2_000);
    // Both windows the floor passed closed: u0's [0, 1000) and u1's [1000, 2000).
    expect(
      closed.outbox
        .map((m) => JSON.parse(m.value))
        .filter((v) => v.final)
        .map((v) => v.key),
    ).toEqual(['u0', 'u1']);
    task.process([raw(2, 'u0', click('u0', 1_500)), raw(3, 'u1', click('u1', 2_600))]);
    const after = task.takeCommit();
    expect([after.processed, after.late, after.minAcceptedTime]).toEqual([1, 1, 2_600]);
  });

  it('counts processed, late and dead-lettered records; outbox seq numbers are consecutive', () => {
    const task = new StreamTask(topology, 'clicks', 0, options);
    task.process(input.slice(0, 10));
    task.process([raw(10, 'u0', click('u0', -10_000)), raw(11, 'u0', 'x')]);
    const c = task.takeCommit();
    expect([c.processed, c.late, c.deadLettered]).toEqual([10, 1, 1]);
    expect(c.outbox.map((m) => m.seq)).toEqual(c.outbox.map((_, i) => i));
    const late = c.outbox.filter((m) => m.topic === 'late').map((m) => JSON.parse(m.value));
    expect(late).toHaveLength(1);
    expect(late[0].source).toEqual({ topic: 'clicks', partition: 0, offset: '10' });
    expect(late[0].event).toEqual(click('u0', -10_000));
    expect(c.outbox.filter((m) => m.topic === 'dlq')).toHaveLength(1);
    task.process([raw(12, 'u0', click('u0', 5_000))]);
    expect(task.takeCommit().outbox[0].seq).toBe(c.nextSeq);
  });

  it('without late and dead-letter topics such records are only counted', () => {
    const task = new StreamTask(topology, 'clicks', 0, {
      ...options,
      lateTopic: undefined,
      deadLetterTopic: undefined,
    });
    task.process([raw(0, 'a', click('a', 5_000)), raw(1, 'a', click('a', 0)), raw(2, 'a', '{')]);
    const c = task.takeCommit();
    expect([c.processed, c.late, c.deadLettered]).toEqual([1, 1, 1]);
    expect(c.outbox.map((m) => m.topic)).toEqual(['counts']);
  });

  it('records below the resume offset (redelivered) are skipped', () => {
    const task = new StreamTask(topology, 'clicks', 0, options);
    task.process(input.slice(0, 5));
    const first = task.takeCommit();
    task.process(input.slice(0, 8));
    const second = task.takeCommit();
    expect(first.processed + second.processed).toBe(8);
    expect(second.processed).toBe(3);
  });

  it('a restore sets the resume offset, outbox sequence and watermark; the idle clock starts at the restore', () => {
    const task = new StreamTask(topology, 'clicks', 0, options, {
      stores: new Map(),
      watermark: { maxEventTime: 5_000, watermark: 4_500, lastInputAt: 3, idleAdvancedTo: 7 },
      nextOffset: '42',
      nextSeq: 99,
    });
    expect(task.resumeOffset()).toBe('42');
    expect(task.watermark.snapshot()).toEqual({
      maxEventTime: 5_000,
      watermark: 4_500,
      lastInputAt: 1_000_000,
      idleAdvancedTo: null,
    });
    task.process([raw(41, 'a', click('a', 6_000)), raw(42, 'a', click('a', 6_000))]);
    const c = task.takeCommit();
    expect(c.processed).toBe(1);
    expect(c.outbox[0].seq).toBe(99);
    expect(c.nextOffset).toBe('43');
  });

  it('punctuate advances an idle task and reports whether its watermark moved', () => {
    const task = new StreamTask(clickCounter('final'), 'clicks', 0, options);
    expect(task.punctuate()).toBe(false);
    task.process([raw(0, 'a', click('a', 100))]);
    task.takeCommit();
    wall += 10_000;
    expect(task.punctuate()).toBe(false);
    wall += 1_000; // watermark -400 + 1 000: not yet at the end of [0, 1 s)
    expect(task.punctuate()).toBe(true);
    expect(task.watermark.current).toBe(100 - 500 + 1_000);
    expect(task.takeCommit().outbox).toEqual([]);
    wall += 400;
    expect(task.punctuate()).toBe(true);
    expect(task.watermark.current).toBe(1_000);
    const c = task.takeCommit();
    expect(c.outbox.map((m) => JSON.parse(m.value))).toEqual([
      { key: 'a', window: { start: 0, end: 1_000 }, value: 1, final: true },
    ]);
  });

  it('punctuate with input that may wait holds the task: its watermark stays and nothing closes', () => {
    const task = new StreamTask(clickCounter('final'), 'clicks', 0, options);
    task.process([raw(0, 'a', click('a', 100))]);
    task.takeCommit();
    wall += 11_000;
    expect(task.punctuate(null)).toBe(false);
    expect(task.watermark.current).toBe(100 - 500);
    wall += 11_000; // 22 s without input, but the last 11 s held
    expect(task.punctuate()).toBe(true);
    expect(task.watermark.current).toBe(100 - 500 + 1_000);
    expect(task.punctuate(null)).toBe(true); // withdraws the idle declaration: commit it
    expect(task.takeCommit().watermark.idleAdvancedTo).toBeNull();
    wall += 5_000;
    expect(task.punctuate()).toBe(false);
    expect(task.takeCommit().outbox).toEqual([]);
  });

  it('punctuate counts idle time only since the consumer has been reading, even when no tick saw the gap', () => {
    const task = new StreamTask(clickCounter('final'), 'clicks', 0, options);
    task.process([raw(0, 'a', click('a', 100))]);
    task.takeCommit();
    const start = wall;
    wall += 11_000;
    expect(task.punctuate(start)).toBe(true); // idle: -400 + 1 000
    expect(task.watermark.current).toBe(600);
    wall += 60_000; // the broker was down; the consumer reads again since 5 s ago
    expect(task.punctuate(wall - 5_000)).toBe(true); // withdraws the declaration made before the gap
    expect(task.watermark.current).toBe(600);
    expect(task.takeCommit().watermark.idleAdvancedTo).toBeNull();
    wall += 6_000; // readable for 11 s: idle again, from 10 s after the gap
    expect(task.punctuate(wall - 11_000)).toBe(true);
    expect(task.watermark.current).toBe(1_600);
  });

  it('a crash that loses uncommitted work, then a restore from the last commit, gives the same outputs once, with consecutive seq numbers', () => {
    const reference: OutboxMessage[] = [];
    const straight = new StreamTask(topology, 'clicks', 0, options);
    straight.process(input);
    wall += 100_000;
    straight.punctuate();
    reference.push(...straight.takeCommit().outbox);
    wall = 1_000_000;

    const committed = emptyRestore();
    const published: OutboxMessage[] = [];
    let task = new StreamTask(topology, 'clicks', 0, options);
    let next = 0;
    const crashes = [
      [12, 20],
      [30, 31],
      [31, 45],
    ];
    for (const [commitAt, crashAt] of crashes) {
      task.process(input.slice(next, commitAt));
      apply(committed, task.takeCommit(), published);
      task.process(input.slice(commitAt, crashAt)); // processed, never committed: lost in the crash
      task = new StreamTask(topology, 'clicks', 0, options, structuredClone(committed));
      // The consumer resumes at the committed offset, and may redeliver a few older records.
      next = Number(task.resumeOffset());
      task.process(input.slice(Math.max(0, next - 3), next));
    }
    task.process(input.slice(next));
    wall += 100_000;
    task.punctuate();
    apply(committed, task.takeCommit(), published);

    expect(published.map((m) => m.seq)).toEqual(published.map((_, i) => i));
    expect(published.map(({ topic, key, value }) => ({ topic, key, value }))).toEqual(
      reference.map(({ topic, key, value }) => ({ topic, key, value })),
    );
    const late = published
      .filter((m) => m.topic === 'late')
      .map((m) => JSON.parse(m.value) as { detected_at: string });
    expect(late.length).toBeGreaterThan(0);
    expect(published.filter((m) => m.topic === 'dlq')).toHaveLength(1);
  });
});

describe('PoisonError', () => {
  it('carries its reason and is not retriable', () => {
    const e = new PoisonError('deserialization_failed', 'bad');
    expect(e).toMatchObject({
      code: 'POISON_RECORD',
      retriable: false,
      reason: 'deserialization_failed',
      message: 'bad',
      name: 'PoisonError',
    });
  });
});
