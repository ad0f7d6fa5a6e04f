import { Registry } from 'prom-client';
import {
  ByteReader,
  ByteWriter,
  KeyValueStore,
  readStateHeader,
  Serdes,
  StreamsApp,
  TopologyBuilder,
  writeStateHeader,
} from '@clickstream/streams';
import { readTopic } from '../../support/kafka';
import { waitFor } from '../../support/wait-for';
import { CountEvent, totalsTable, UserTotal } from './counter-topology';
import { BASE_TS, CounterRun, progress, setupCounterRun, totalsFromTable } from './harness';

/** A user's running total at rest as bytes: a count and a sum as varints, which hold safe integers only. */
class Total {
  constructor(
    readonly events: number,
    readonly total: number,
  ) {}

  static of(stored: Total | Uint8Array | undefined): Total {
    if (stored === undefined) return new Total(0, 0);
    if (stored instanceof Total) return stored;
    const input = new ByteReader(stored);
    readStateHeader(input, 'test total', 1);
    return new Total(input.uint(), input.uint());
  }

  storedForm(): Uint8Array {
    const out = new ByteWriter();
    writeStateHeader(out, 1);
    out.uint(this.events);
    out.uint(this.total);
    return out.bytes();
  }
}

function totalsTopology(appId: string, input: string) {
  const b = new TopologyBuilder(appId);
  b.stream<CountEvent>(input, {
    keySerde: Serdes.string(),
    valueSerde: Serdes.json<CountEvent>(),
    timestamp: (v) => v.ts,
  })
    .process<UserTotal>({
      name: 'encoding-totals',
      stores: ['encoding-totals-store'],
      create: (ctx) => {
        const store: KeyValueStore<Total | Uint8Array> = ctx.store('encoding-totals-store');
        return {
          process: (rec) => {
            const v = rec.value as CountEvent;
            const prev = Total.of(store.get(v.user));
            const next = new Total(prev.events + 1, prev.total + v.n);
            store.put(v.user, next);
            ctx.forward({
              key: v.user,
              timestamp: rec.timestamp,
              value: { user: v.user, ...next },
            });
          },
        };
      },
    })
    .toTable('encoding-totals-table', totalsTable(appId));
  return b.build();
}

/*
 * A store's value is encoded when the commit is taken, not when the node puts it. A record that
 * makes a value its layout cannot hold (here a sum past 2^53 in a varint, as the fraud-detector's
 * cents once were) used to fail every commit of its partition, before and after each restart: a
 * stalled partition. It is now refused data: the records are committed one at a time, that one is
 * dead-lettered with the store, the key and the reason, and the partition goes on.
 */
describe('a state value its store cannot encode', () => {
  let run: CounterRun;
  let app: StreamsApp;
  const registry = new Registry();

  beforeAll(async () => {
    run = await setupCounterRun('state-encoding', 1);
    app = new StreamsApp({
      topology: totalsTopology(run.appId, run.topics.input),
      kafka: run.kafka,
      pool: run.pool,
      deadLetterTopic: run.topics.dlq,
      registry,
      metricPrefix: 'state_encoding_test',
      sessionTimeoutMs: 6000,
      heartbeatIntervalMs: 500,
      restartBackoff: { initialMs: 100, maxMs: 1000 },
    });
    await app.start();
  });

  afterAll(async () => {
    await app.stop();
    await run.cleanup();
  });

  it('dead-letters the record whose state cannot be stored, by isolation, and goes on', async () => {
    const event = (i: number, user: string, n: number) => ({
      key: user,
      value: JSON.stringify({ user, ts: BASE_TS + i * 1000, n }),
    });
    const { kafka, pool, appId, topics } = run;
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: topics.input,
      acks: -1,
      messages: [
        event(0, 'alice', 1),
        event(1, 'bob', 2),
        event(2, 'alice', 2 ** 60),
        event(3, 'alice', 1),
        event(4, 'bob', 1),
        event(5, 'alice', 1),
      ],
    });
    await producer.disconnect();

    const dlq = await readTopic(kafka, topics.dlq, (r) => r.length >= 1);
    expect(dlq.map((r) => JSON.parse(r.value!))).toEqual([
      expect.objectContaining({
        reason: 'storage_rejected',
        offset: '2',
        source: appId,
        original: JSON.stringify({ user: 'alice', ts: BASE_TS + 2000, n: 2 ** 60 }),
        message: expect.stringMatching(
          /^store encoding-totals-store: the value of key "alice" cannot be stored: ByteWriter\.uint: \d+ is not a safe non-negative integer \(STATE_ENCODING_FAILED\)$/,
        ),
      }),
    ]);

    // Every other record is counted once, the refused one not at all, and the partition is done.
    await waitFor(async () => (await progress(pool, appId)) === 6, { what: 'offset 6 committed' });
    expect(await totalsFromTable(pool, appId)).toEqual(
      new Map([
        ['alice', { events: 3, total: 3 }],
        ['bob', { events: 2, total: 3 }],
      ]),
    );
    const failures = await registry.getSingleMetricAsString(
      'state_encoding_test_task_failures_total',
    );
    expect(failures).toMatch(/reason="commit_data"[^}]*\} [2-9]/);
    const dead = await registry.getSingleMetricAsString(
      'state_encoding_test_dead_letter_events_total',
    );
    expect(dead).toMatch(/state_encoding_test_dead_letter_events_total\{[^}]*\} 1$/m);
  });
});
