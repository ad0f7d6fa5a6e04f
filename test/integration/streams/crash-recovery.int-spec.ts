import { Kafka } from 'kafkajs';
import { Pool } from 'pg';
import { createTopic, testKafka, uniqueName, deleteTopics } from '../../support/kafka';
import { TOTALS_DDL } from './counter-topology';
import {
  expectedFrom,
  makeEvents,
  produceEvents,
  Proc,
  readWholeTopic,
  spawnProcessor,
  totalsFromTable,
  waitForOutboxDrained,
  waitForProgress,
  windowsFromTopic,
} from './harness';

const EVENTS = 200_000;
const PARTITIONS = 6;

describe('exactly-once under SIGKILL', () => {
  let kafka: Kafka;
  let pool: Pool;
  const appId = uniqueName('crash-app');
  const topics = { input: uniqueName('crash-in'), output: uniqueName('crash-out'), dlq: uniqueName('crash-dlq'), late: uniqueName('crash-late') };

  beforeAll(async () => {
    kafka = testKafka();
    pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
    await pool.query(TOTALS_DDL);
    await createTopic(kafka, topics.input, PARTITIONS);
    await createTopic(kafka, topics.output, PARTITIONS);
    await createTopic(kafka, topics.dlq, 1);
    await createTopic(kafka, topics.late, 1);
  });

  afterAll(async () => {
    await pool.end();
    await deleteTopics(kafka, Object.values(topics));
  });

  it('SIGKILLed three times over 200k keyed events: no event lost, none counted twice, no duplicate output', async () => {
    const events = makeEvents(EVENTS, 500, 42);
    const expected = expectedFrom(events);
    await produceEvents(kafka, topics.input, events, PARTITIONS);
    const total = EVENTS + PARTITIONS; // plus the sentinels
    const env = {
      APP_ID: appId,
      INPUT_TOPIC: topics.input,
      OUTPUT_TOPIC: topics.output,
      DLQ_TOPIC: topics.dlq,
      LATE_TOPIC: topics.late,
    };

    const kills: number[] = [];
    const started = Date.now();
    let proc: Proc = spawnProcessor(env);
    for (const fraction of [0.2, 0.45, 0.7]) {
      kills.push(await waitForProgress(pool, appId, Math.floor(total * fraction), [proc]));
      await proc.kill('SIGKILL');
      proc = spawnProcessor(env);
    }
    await waitForProgress(pool, appId, total, [proc]);
    await waitForOutboxDrained(pool, appId);
    await proc.kill('SIGTERM');
    console.log(`crash test: ${total} records, kills at ${kills.join(', ')}, done in ${Date.now() - started} ms`);

    // Each kill happened mid-stream, at least 20 % apart.
    expect(kills[0]).toBeLessThan(total);
    for (let i = 1; i < kills.length; i++) expect(kills[i] - kills[i - 1]).toBeGreaterThanOrEqual(total * 0.2);
    expect(kills[kills.length - 1]).toBeLessThan(total);

    const windows = windowsFromTopic(await readWholeTopic(kafka, topics.output, PARTITIONS));
    expect(windows.size).toBe(expected.windows.size);
    expect(windows).toEqual(expected.windows);
    expect(await totalsFromTable(pool, appId)).toEqual(expected.totals);

    // Bounded state: closed windows are evicted; only the per-user totals remain.
    const state = await pool.query<{ store: string; n: string }>(
      `SELECT store, count(*) AS n FROM stream_state WHERE app_id = $1 GROUP BY store`,
      [appId],
    );
    const byStore = Object.fromEntries(state.rows.map((r) => [r.store, Number(r.n)]));
    expect(byStore['counter-window-1m-store'] ?? 0).toBe(0);
    expect(byStore['counter-totals-store']).toBe(expected.totals.size);
  });
});
