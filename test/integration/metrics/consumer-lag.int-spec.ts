import { topicNames } from '@clickstream/contracts';
import { deleteTopics, testKafka, uniqueName } from '../../support/kafka';
import { createMigratedDatabase } from '../../support/postgres';
import { RunningService, startService, waitForHttpOk } from '../../support/services';
import { waitFor } from '../../support/wait-for';
import { sample } from './metrics-harness';

const PARTITIONS = 3;

/**
 * kafka_consumergroup_lag from the Kafka admin API: for a processor's group, measured from its
 * Postgres offsets (stream_offsets); for any other group, from its Kafka group offsets.
 */
describe('consumer lag (kafka_consumergroup_lag)', () => {
  const prefix = `${uniqueName('metrics-lag')}.`;
  const topics = topicNames(prefix);
  const processor = `${prefix}clickstream-sessionizer`;
  const plain = `${prefix}plain-consumer`;
  const kafka = testKafka();
  let db: Awaited<ReturnType<typeof createMigratedDatabase>>;
  let svc: RunningService;

  const produce = async (counts: number[]) => {
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: topics.events,
      acks: -1,
      messages: counts.flatMap((count, partition) =>
        Array.from({ length: count }, (_, i) => ({ partition, key: `u${i}`, value: '{}' })),
      ),
    });
    await producer.disconnect();
  };

  const ends = async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      return (await admin.fetchTopicOffsets(topics.events))
        .sort((a, b) => a.partition - b.partition)
        .map((o) => Number(o.high));
    } finally {
      await admin.disconnect();
    }
  };

  /** Both groups caught up: the processor in Postgres, the other one in Kafka. */
  const commitAll = async () => {
    const high = await ends();
    for (let p = 0; p < PARTITIONS; p++) {
      await db.pool.query(
        `INSERT INTO stream_offsets (group_id, topic, partition, next_offset) VALUES ($1, $2, $3, $4)
         ON CONFLICT (group_id, topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset`,
        [processor, topics.events, p, high[p]],
      );
    }
    const admin = kafka.admin();
    await admin.connect();
    await admin.setOffsets({
      groupId: plain,
      topic: topics.events,
      partitions: high.map((offset, partition) => ({ partition, offset: String(offset) })),
    });
    await admin.disconnect();
    return high;
  };

  const lagOf = (text: string, group: string, partition: number) =>
    sample(text, 'kafka_consumergroup_lag', {
      group,
      topic: topics.events,
      partition: String(partition),
    });
  const scrape = async () => (await fetch(svc.url('/metrics'))).text();

  beforeAll(async () => {
    db = await createMigratedDatabase('clickstream_test_metrics_lag');
    svc = await startService('metrics', {
      DATABASE_URL: db.url,
      KAFKA_TOPIC_PREFIX: prefix,
      KAFKA_TOPIC_PARTITIONS: String(PARTITIONS),
      METRICS_GAUGE_REFRESH_MS: '200',
      METRICS_LAG_GROUPS: `${processor},${plain}`,
    });
    await waitForHttpOk(svc, '/health/ready', 60_000);
  });

  afterAll(async () => {
    await svc?.stop();
    await db?.drop();
    await deleteTopics(kafka, Object.values(topics)).catch(() => undefined);
  });

  it('is 0 for caught-up groups and rises by what is produced while they do not consume', async () => {
    // The service created the topics at boot (SPEC §10).
    await waitFor(async () => (await ends()).length === PARTITIONS, {
      what: 'events topic',
      timeoutMs: 30_000,
    });
    await produce([5, 3, 0]);
    const high = await commitAll();

    await waitFor(
      async () => {
        const text = await scrape();
        return [0, 1, 2].every(
          (p) => lagOf(text, processor, p) === 0 && lagOf(text, plain, p) === 0,
        );
      },
      { what: 'lag 0 for caught-up groups', timeoutMs: 30_000 },
    );
    const text = await scrape();
    for (let p = 0; p < PARTITIONS; p++) {
      expect(
        sample(text, 'kafka_topic_partition_current_offset', {
          topic: topics.events,
          partition: String(p),
        }),
      ).toBe(high[p]);
      expect(
        sample(text, 'kafka_consumergroup_current_offset', {
          group: processor,
          topic: topics.events,
          partition: String(p),
        }),
      ).toBe(high[p]);
    }

    await produce([10, 0, 4]);
    await waitFor(
      async () => {
        const t = await scrape();
        return [processor, plain].every(
          (g) => lagOf(t, g, 0) === 10 && lagOf(t, g, 1) === 0 && lagOf(t, g, 2) === 4,
        );
      },
      { what: 'lag 10/0/4 after producing', timeoutMs: 30_000 },
    );

    // The processor's Postgres offsets are the truth: moving them (not Kafka's) clears its lag.
    await db.pool.query(
      `UPDATE stream_offsets SET next_offset = next_offset + 10 WHERE group_id = $1 AND partition = 0`,
      [processor],
    );
    await waitFor(async () => lagOf(await scrape(), processor, 0) === 0, {
      what: 'processor lag 0 on partition 0',
      timeoutMs: 30_000,
    });
    expect(lagOf(await scrape(), plain, 0)).toBe(10);
  });
});
