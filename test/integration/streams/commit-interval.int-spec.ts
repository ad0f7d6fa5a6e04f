import { Kafka } from 'kafkajs';
import { Registry } from 'prom-client';
import { StreamsApp } from '@clickstream/streams';
import { waitFor } from '../../support/wait-for';
import { CountEvent } from './counter-topology';
import {
  BASE_TS,
  counterApp,
  CounterRun,
  progress,
  readWholeTopic,
  setupCounterRun,
  totalsFromTable,
  windowsFromTopic,
} from './harness';

/**
 * Sends each batch as one produce request (one record batch on the broker), in order, to
 * partition 0, with no sentinel of its own (harness' produceEvents adds one).
 */
async function sendBatches(kafka: Kafka, topic: string, batches: CountEvent[][]): Promise<void> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    for (const batch of batches)
      await producer.send({
        topic,
        acks: -1,
        messages: batch.map((e) => ({ partition: 0, key: e.user, value: JSON.stringify(e) })),
      });
  } finally {
    await producer.disconnect();
  }
}

/** How many commits the app's tasks made (its commit duration histogram's count). */
async function commitsOf(registry: Registry, prefix: string): Promise<number> {
  const metrics = await registry.metrics();
  const line = new RegExp(`^${prefix}_commit_duration_seconds_count\\{[^}]*\\} (\\d+)$`, 'm');
  return Number(line.exec(metrics)?.[1]);
}

/**
 * commit.interval.ms: a task commits at most once per interval, and every batch fetched meanwhile
 * goes into that commit. A fetch limit of one byte makes every fetch a single record, so without
 * the interval each record would be its own Postgres and Kafka transaction.
 */
describe('commit interval', () => {
  let run: CounterRun;
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
    await sendBatches(
      kafka,
      topics.input,
      events.map((e) => [e]),
    );

    const registry = new Registry();
    app = counterApp(run, registry, {
      metricPrefix: 'interval',
      allowedLatenessMs: 5000,
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

    const commits = await commitsOf(registry, 'interval');
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

/**
 * outputCommitIntervalMs: a task holding records for the outbox commits that soon, whatever the
 * (much longer) commit interval, and the records before them go into the same commit.
 */
describe('output commit interval', () => {
  let run: CounterRun;
  let app: StreamsApp | undefined;

  beforeAll(async () => {
    run = await setupCounterRun('output-interval', 1);
  });

  afterAll(async () => {
    await app?.stop();
    await run.cleanup();
  });

  it('commits and publishes a closed window at once under a 60 s commit interval', async () => {
    const { kafka, pool, appId, topics } = run;
    const registry = new Registry();
    app = counterApp(run, registry, {
      metricPrefix: 'output_interval',
      allowedLatenessMs: 0,
      commitIntervalMs: 60_000,
      outputCommitIntervalMs: 100,
    });
    await app.start();
    // A task's first commit is due at once (no commit before it): the first minute's counts.
    const first = [1, 2, 3].map((i) => ({ user: `u${i % 2}`, ts: BASE_TS + i, n: i }));
    await sendBatches(kafka, topics.input, [first]);
    await waitFor(async () => (await progress(pool, appId)) === 3, {
      timeoutMs: 20_000,
      what: 'the first commit',
    });

    // More counts of the same minute (state only), then a sentinel two minutes on: the minute's
    // window closes and its results go to the outbox, so all of it commits long before 60 s.
    const more = [4, 5].map((i) => ({ user: `u${i % 2}`, ts: BASE_TS + i, n: i }));
    const sentinel: CountEvent = { user: 'u0', ts: BASE_TS + 120_000, n: 0, sentinel: true };
    await sendBatches(kafka, topics.input, [[...more, sentinel]]);
    await waitFor(async () => (await progress(pool, appId)) === 6, {
      timeoutMs: 15_000,
      what: 'the commit of the closed window, well within the 60 s interval',
    });

    // The outbox publishes after the commit: wait for its records (CI once read the topic before).
    const windows = await waitFor(
      async () => {
        const found = windowsFromTopic(await readWholeTopic(kafka, topics.output, 1));
        return found.size >= 2 ? found : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 250, what: 'the closed window on the output topic' },
    );
    expect(windows).toEqual(
      new Map([
        [`u0@${BASE_TS}`, { count: 2, sum: 2 + 4 }],
        [`u1@${BASE_TS}`, { count: 3, sum: 1 + 3 + 5 }],
      ]),
    );
    expect(await commitsOf(registry, 'output_interval')).toBe(2);
  });
});
