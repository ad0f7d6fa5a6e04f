import { Kafka } from 'kafkajs';
import { Pool } from 'pg';
import { Registry } from 'prom-client';
import { StreamsApp } from '@clickstream/streams';
import { createTopic, deleteTopics, readTopic, testKafka, uniqueName } from '../../support/kafka';
import { waitFor } from '../../support/wait-for';
import { counterTopology, TOTALS_DDL } from './counter-topology';
import { BASE_TS, totalsFromTable } from './harness';

describe('poison records', () => {
  let kafka: Kafka;
  let pool: Pool;
  let app: StreamsApp;
  const registry = new Registry();
  const appId = uniqueName('poison-app');
  const topics = {
    input: uniqueName('p-in'),
    output: uniqueName('p-out'),
    dlq: uniqueName('p-dlq'),
  };

  beforeAll(async () => {
    kafka = testKafka();
    pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 4 });
    await pool.query(TOTALS_DDL);
    for (const t of Object.values(topics)) await createTopic(kafka, t, 1);
    app = new StreamsApp({
      topology: counterTopology(appId, topics),
      kafka,
      pool,
      deadLetterTopic: topics.dlq,
      maxRetries: 2,
      registry,
      metricPrefix: 'poison_test',
      sessionTimeoutMs: 6000,
    });
    await app.start();
  });

  afterAll(async () => {
    await app.stop();
    await pool.end();
    await deleteTopics(kafka, Object.values(topics));
  });

  it('dead-letters a malformed and a failing record after bounded retries; the partition goes on', async () => {
    const producer = kafka.producer();
    await producer.connect();
    const ok = (i: number) => ({
      key: 'alice',
      value: JSON.stringify({ user: 'alice', ts: BASE_TS + i * 1000, n: 1 }),
    });
    await producer.send({
      topic: topics.input,
      acks: -1,
      messages: [
        ok(1),
        { key: 'alice', value: '{"user": "alice", "ts": ' }, // malformed JSON
        ok(2),
        {
          key: 'alice',
          value: JSON.stringify({ user: 'alice', ts: BASE_TS + 2500, n: 100, boom: true }),
        },
        ok(3),
      ],
    });
    await producer.disconnect();

    const dlq = await readTopic(kafka, topics.dlq, (r) => r.length >= 2);
    const records = dlq.map((r) => JSON.parse(r.value!));
    expect(records).toEqual([
      expect.objectContaining({
        reason: 'deserialization_failed',
        original: '{"user": "alice", "ts": ',
        offset: '1',
        source: appId,
        attempts: 1,
      }),
      expect.objectContaining({
        reason: 'processing_failed',
        message: 'boom requested by the record',
        offset: '3',
        attempts: 3,
      }),
    ]);
    expect(dlq.every((r) => r.key === 'alice')).toBe(true);

    // The three good records after and around the poison ones are all counted, the failing one not at all.
    await waitFor(async () => (await totalsFromTable(pool, appId)).get('alice')?.events === 3, {
      what: 'alice counted 3 times',
    });
    expect((await totalsFromTable(pool, appId)).get('alice')).toEqual({ events: 3, total: 3 });
    const metrics = await registry.getSingleMetricAsString('poison_test_dead_letter_events_total');
    expect(metrics).toMatch(/poison_test_dead_letter_events_total\{[^}]*\} 2/);
  });
});
