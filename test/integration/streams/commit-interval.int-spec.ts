import { Registry } from 'prom-client';
import { StreamsApp } from '@clickstream/streams';
import { waitFor } from '../../support/wait-for';
import { counterTopology, CountEvent } from './counter-topology';
import { BASE_TS, progress, setupCounterRun, totalsFromTable } from './harness';

/**
 * commit.interval.ms: a task commits at most once per interval, and every batch fetched meanwhile
 * goes into that commit. A fetch limit of one byte makes every fetch a single record, so without
 * the interval each record would be its own Postgres and Kafka transaction.
 */
describe('commit interval', () => {
  let run: Awaited<ReturnType<typeof setupCounterRun>>;
  let app: StreamsApp | undefined;

  beforeAll(async () => {
    run = await setupCounterRun('interval', 1);
  });

  afterAll(async () => {
    await app?.stop();
    await run.cleanup();
  });

  it('coalesces one-record fetches into one commit per interval, with exact results', async () => {
    const { kafka, pool, appId, topics } = run;
    const events: CountEvent[] = Array.from({ length: 200 }, (_, i) => ({
      user: `u${i % 7}`,
      ts: BASE_TS + i,
      n: i % 5,
    }));
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    for (const e of events)
      await producer.send({
        topic: topics.input,
        acks: -1,
        messages: [{ key: e.user, value: JSON.stringify(e) }],
      });
    await producer.disconnect();

    const registry = new Registry();
    app = new StreamsApp({
      topology: counterTopology(appId, { input: topics.input, output: topics.output }),
      kafka,
      pool,
      registry,
      metricPrefix: 'interval',
      allowedLatenessMs: 5000,
      lateTopic: topics.late,
      deadLetterTopic: topics.dlq,
      sessionTimeoutMs: 6000,
      heartbeatIntervalMs: 500,
      maxBytesPerPartition: 1,
      commitIntervalMs: 1000,
    });
    const started = Date.now();
    await app.start();
    await waitFor(async () => (await progress(pool, appId)) === events.length, {
      timeoutMs: 60_000,
      what: `${events.length} records committed`,
    });
    const seconds = (Date.now() - started) / 1000;

    const commits = Number(
      /^interval_commit_duration_seconds_count\{[^}]*\} (\d+)$/m.exec(
        await registry.metrics(),
      )?.[1],
    );
    expect(commits).toBeGreaterThan(0);
    expect(commits).toBeLessThanOrEqual(Math.ceil(seconds) + 2);
    expect(commits).toBeLessThan(events.length / 4);

    const expected = new Map<string, { events: number; total: number }>();
    for (const e of events) {
      const t = expected.get(e.user) ?? { events: 0, total: 0 };
      expected.set(e.user, { events: t.events + 1, total: t.total + e.n });
    }
    expect(await totalsFromTable(pool, appId)).toEqual(expected);

    // The group's offset on Kafka, the hint lag tools read, catches up with Postgres' (at most
    // one request per second, runtime/offset-hints.ts).
    const admin = kafka.admin();
    await admin.connect();
    try {
      await waitFor(
        async () => {
          const [topic] = await admin.fetchOffsets({ groupId: appId, topics: [topics.input] });
          return topic.partitions.find((p) => p.partition === 0)?.offset === String(events.length);
        },
        { timeoutMs: 15_000, what: 'the Kafka offset hint at the last record' },
      );
    } finally {
      await admin.disconnect();
    }
  });
});
