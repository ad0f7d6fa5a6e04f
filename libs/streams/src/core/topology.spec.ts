import { TopologyTestDriver } from '../testing/topology-test-driver';
import { Serdes } from './serde';
import { StreamTask, TaskError } from './task';
import { KStream, mergeTableRow, Rec, TopologyBuilder, TopologyError } from './topology';
import { TumblingWindows } from './windows';

interface Click {
  user: string;
  ts: number;
  n?: number;
}

const source = {
  keySerde: Serdes.string(),
  valueSerde: Serdes.json<Click>(),
  timestamp: (v: Click) => v.ts,
};
const taskOptions = {
  applicationId: 'app',
  allowedLatenessMs: 0,
  idleTimeoutMs: 1_000,
  maxRetries: 0,
  clock: () => 0,
};

describe('TopologyBuilder errors', () => {
  it('rejects duplicate node names', () => {
    const b = new TopologyBuilder('app');
    const s = b.stream<Click>('clicks', source);
    s.filter('step', () => true);
    expect(() => s.map('step', (v) => v)).toThrow(TopologyError);
    expect(() => s.map('step', (v) => v)).toThrow('duplicate node name "step"');
  });

  it('rejects a sink named like an existing node', () => {
    const b = new TopologyBuilder('app');
    const s = b.stream<Click>('clicks', source);
    s.filter('out', () => true);
    expect(() =>
      s.to('out', {
        topic: 't',
        keySerde: Serdes.string(),
        valueSerde: Serdes.json(),
        key: (r) => r.key,
      }),
    ).toThrow(/duplicate node name/);
  });

  it('rejects a store declared twice', () => {
    const b = new TopologyBuilder('app');
    const s = b.stream<Click>('clicks', source);
    const agg = {
      window: TumblingWindows.of(1_000),
      initializer: () => 0,
      aggregator: (a: number) => a + 1,
      emit: 'final' as const,
      store: 'shared',
    };
    s.windowedAggregate('a', agg);
    let err: unknown;
    try {
      s.windowedAggregate('b', agg);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TopologyError);
    expect(err).toMatchObject({
      code: 'TOPOLOGY_INVALID',
      message: 'store "shared" is declared twice',
    });
  });

  it('rejects the same topic as a source twice', () => {
    const b = new TopologyBuilder('app');
    b.stream('clicks', source);
    expect(() => b.stream('clicks', source)).toThrow(/already a source/);
  });

  it('rejects a topology without sources', () => {
    expect(() => new TopologyBuilder('app').build()).toThrow(/at least one source/);
  });

  it('a task for an unknown source topic fails', () => {
    const b = new TopologyBuilder('app');
    b.stream('clicks', source).filter('f', () => true);
    const topology = b.build();
    expect(() => new StreamTask(topology, 'nope', 0, taskOptions)).toThrow(TaskError);
    expect(() => new StreamTask(topology, 'nope', 0, taskOptions)).toThrow(
      'topic nope is not a source of app',
    );
    const driver = new TopologyTestDriver(topology);
    expect(() => driver.pipe('nope', 'u', { user: 'u', ts: 1 })).toThrow(/not a source topic/);
  });

  it('a node that touches a store it did not declare fails (and is dead-lettered)', () => {
    const b = new TopologyBuilder('app');
    b.stream<Click>('clicks', source)
      .windowedAggregate('agg', {
        window: TumblingWindows.of(1_000),
        initializer: () => 0,
        aggregator: (a: number) => a + 1,
        emit: 'final',
      })
      .to('out', {
        topic: 'out',
        keySerde: Serdes.string(),
        valueSerde: Serdes.json(),
        key: (r) => r.key,
      });
    b.stream<Click>('other', source).process({
      name: 'sneaky',
      stores: [],
      create: (ctx) => ({ process: () => void ctx.store('agg-store').get('x') }),
    });
    const driver = new TopologyTestDriver(b.build(), { deadLetterTopic: 'dlq', maxRetries: 0 });
    driver.pipe('other', 'u', { user: 'u', ts: 1 });
    const [dead] = driver.readOutput<{ reason: string; message: string }>('dlq');
    expect(dead.value.reason).toBe('processing_failed');
    expect(dead.value.message).toBe('node sneaky did not declare store agg-store');
  });
});

describe('TopologyBuilder.describe', () => {
  it('lists sources with serdes, nodes with stores, and sinks', () => {
    const b = new TopologyBuilder('demo');
    b.stream<Click>('clicks', source)
      .filter('only-real', (v) => v.user !== 'bot')
      .windowedAggregate('count', {
        window: TumblingWindows.of(60_000),
        initializer: () => 0,
        aggregator: (a: number) => a + 1,
        emit: 'final',
      })
      .to('publish', {
        topic: 'counts',
        keySerde: Serdes.string(),
        valueSerde: Serdes.json(),
        key: (r) => r.key,
      });
    const t = b.build();
    expect(t.describe()).toBe(
      [
        'topology demo',
        '  source clicks (key string, value json)',
        '    only-real',
        '      count [stores: count-store]',
        '        publish -> topic counts',
      ].join('\n'),
    );
    expect([...t.stores]).toEqual(['count-store']);
    expect(t.sinks.map((s) => s.name)).toEqual(['publish']);
  });
});

describe('stateless steps (through the test driver)', () => {
  function run(build: (s: KStream<Click>) => void, records: Click[]) {
    const b = new TopologyBuilder('app');
    build(b.stream<Click>('clicks', source));
    const driver = new TopologyTestDriver(b.build());
    for (const r of records) driver.pipe('clicks', r.user, r);
    return driver;
  }
  const sink = {
    keySerde: Serdes.string(),
    valueSerde: Serdes.json<unknown>(),
    key: (r: Rec<unknown>) => r.key,
  };

  it('filter, map, selectKey and peek', () => {
    const seen: string[] = [];
    const driver = run(
      (s) =>
        s
          .filter('no-bots', (v) => v.user !== 'bot')
          .peek('spy', (v) => seen.push(v.user))
          .map('double', (v) => ({ ...v, n: (v.n ?? 1) * 2 }))
          .selectKey('by-n', (v) => `n${v.n}`)
          .to('out', { topic: 'out', ...sink }),
      [
        { user: 'a', ts: 1, n: 1 },
        { user: 'bot', ts: 2, n: 5 },
        { user: 'b', ts: 3 },
      ],
    );
    expect(seen).toEqual(['a', 'b']);
    expect(driver.readOutput('out')).toEqual([
      { key: 'n2', value: { user: 'a', ts: 1, n: 2 } },
      { key: 'n2', value: { user: 'b', ts: 3, n: 2 } },
    ]);
  });

  it('flatMap forwards every produced record', () => {
    const driver = run(
      (s) =>
        s
          .flatMap('explode', (v, rec) =>
            Array.from({ length: v.n ?? 0 }, (_, i): Rec<number> => ({
              key: `${rec.key}-${i}`,
              value: i,
              timestamp: rec.timestamp,
            })),
          )
          .to('out', { topic: 'out', ...sink }),
      [
        { user: 'a', ts: 1, n: 2 },
        { user: 'b', ts: 2, n: 0 },
        { user: 'c', ts: 3, n: 1 },
      ],
    );
    expect(driver.readOutput('out')).toEqual([
      { key: 'a-0', value: 0 },
      { key: 'a-1', value: 1 },
      { key: 'c-0', value: 0 },
    ]);
  });

  it('branch sends a record to the first matching predicate only', () => {
    const driver = run(
      (s) => {
        const [big, small] = s.branch(
          'split',
          (v) => (v.n ?? 0) >= 10,
          (v) => (v.n ?? 0) >= 0,
        );
        big.to('to-big', { topic: 'big', ...sink });
        small.to('to-small', { topic: 'small', ...sink });
      },
      [
        { user: 'a', ts: 1, n: 10 },
        { user: 'b', ts: 2, n: 3 },
        { user: 'c', ts: 3, n: -1 },
        { user: 'd', ts: 4, n: 11 },
      ],
    );
    expect(driver.readOutput<Click>('big').map((r) => r.key)).toEqual(['a', 'd']);
    expect(driver.readOutput<Click>('small').map((r) => r.key)).toEqual(['b']);
  });

  it('a stream can fan out to several children', () => {
    const driver = run(
      (s) => {
        const k = s;
        k.to('one', { topic: 'one', ...sink });
        k.map('up', (v) => v.user.toUpperCase()).to('two', { topic: 'two', ...sink });
      },
      [{ user: 'a', ts: 1 }],
    );
    expect(driver.readOutput('one')).toEqual([{ key: 'a', value: { user: 'a', ts: 1 } }]);
    expect(driver.readOutput('two')).toEqual([{ key: 'a', value: 'A' }]);
  });
});

describe('accumulating table sinks', () => {
  const columns = { user: 'text', n: 'bigint', note: 'text' } as const;
  const build = (sink: Record<string, unknown>) => () => {
    const b = new TopologyBuilder('acc');
    b.stream<{ user: string }>('in', {
      keySerde: Serdes.string(),
      valueSerde: Serdes.json(),
      timestamp: () => 0,
    }).toTable('counts', {
      table: 'counts',
      columns,
      primaryKey: ['user'],
      row: (r) => ({ user: r.value.user, n: 1, note: 'x' }),
      ...sink,
    });
    return b.build();
  };

  it('adds the deltas of a row in the table and takes the latest value of the other columns', () => {
    const driver = new TopologyTestDriver(build({ accumulate: ['n'] })(), { partitions: 1 });
    for (const user of ['a', 'b', 'a']) driver.pipe('in', user, { user });
    expect(driver.readTable('counts')).toEqual([
      { user: 'a', n: 2, note: 'x' },
      { user: 'b', n: 1, note: 'x' },
    ]);
    expect(
      mergeTableRow(
        { accumulate: ['n'] },
        { user: 'a', n: '40', note: 'old' },
        { user: 'a', n: 2, note: 'new' },
      ),
    ).toEqual({ user: 'a', n: 42, note: 'new' });
    expect(mergeTableRow({}, { user: 'a', n: 40 }, { user: 'a', n: 2 })).toEqual({
      user: 'a',
      n: 2,
    });
  });

  it('rejects a key, non-numeric or missing accumulate column, and a rowKey or deleteKey with it', () => {
    expect(build({ accumulate: ['user'] })).toThrow(
      'accumulate column user must be a numeric non-key column (is text)',
    );
    expect(build({ accumulate: ['note'] })).toThrow(
      'accumulate column note must be a numeric non-key column (is text)',
    );
    expect(build({ accumulate: ['m'] })).toThrow(
      'accumulate column m must be a numeric non-key column (is missing)',
    );
    expect(build({ accumulate: ['n'], rowKey: () => 'k' })).toThrow(
      'an accumulating sink takes no rowKey or deleteKey',
    );
  });
});
