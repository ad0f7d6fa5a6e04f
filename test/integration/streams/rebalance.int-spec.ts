import { Kafka } from 'kafkajs';
import { Pool } from 'pg';
import { createTopic, deleteTopics, testKafka, uniqueName } from '../../support/kafka';
import { TOTALS_DDL } from './counter-topology';
import {
  expectedFrom,
  makeEvents,
  produceEvents,
  readWholeTopic,
  spawnProcessor,
  totalsFromTable,
  waitForOutboxDrained,
  waitForProgress,
  windowsFromTopic,
} from './harness';

const EVENTS = 60_000;
const PARTITIONS = 6;

describe('rebalancing', () => {
  let kafka: Kafka;
  let pool: Pool;
  const appId = uniqueName('rebalance-app');
  const topics = { input: uniqueName('rb-in'), output: uniqueName('rb-out'), dlq: uniqueName('rb-dlq'), late: uniqueName('rb-late') };

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

  it('two instances, one SIGKILLed, a third joining: the same results as one instance', async () => {
    const events = makeEvents(EVENTS, 300, 7);
    const expected = expectedFrom(events);
    const env = {
      APP_ID: appId,
      INPUT_TOPIC: topics.input,
      OUTPUT_TOPIC: topics.output,
      DLQ_TOPIC: topics.dlq,
      LATE_TOPIC: topics.late,
      SESSION_TIMEOUT_MS: '6000',
    };
    const a = spawnProcessor(env);
    const b = spawnProcessor(env);
    // Both own partitions before any input arrives.
    await Promise.all([a, b].map((p) => waitForStdout(p.log, 'ready')));
    await produceEvents(kafka, topics.input, events, PARTITIONS);
    const total = EVENTS + PARTITIONS;

    await waitForProgress(pool, appId, Math.floor(total * 0.3), [a, b]);
    await a.kill('SIGKILL');
    await waitForProgress(pool, appId, Math.floor(total * 0.6), [b]);
    const c = spawnProcessor(env);
    await waitForProgress(pool, appId, total, [b, c]);
    await waitForOutboxDrained(pool, appId);
    await Promise.all([b.kill('SIGTERM'), c.kill('SIGTERM')]);

    const windows = windowsFromTopic(await readWholeTopic(kafka, topics.output, PARTITIONS));
    expect(windows).toEqual(expected.windows);
    expect(await totalsFromTable(pool, appId)).toEqual(expected.totals);
  });
});

async function waitForStdout(log: () => string, text: string): Promise<void> {
  const { waitFor } = await import('../../support/wait-for');
  await waitFor(() => log().includes(text), { timeoutMs: 60_000, what: `processor prints ${text}` });
}
