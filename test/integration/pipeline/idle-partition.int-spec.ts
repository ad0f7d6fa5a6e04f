import { topicNames } from '@clickstream/contracts';
import {
  deleteTopics,
  readTopic,
  readWholeTopic,
  testKafka,
  uniqueName,
} from '../../support/kafka';
import { createMigratedDatabase } from '../../support/postgres';
import { RunningService, startService, waitForHttpOk } from '../../support/services';
import { waitFor } from '../../support/wait-for';

const MIN = 60_000;
const T0 = Date.UTC(2024, 0, 1, 0, 0);

// Each one a new event (its own id): the keep-alive records repeat a time, and a repeated id would be
// dropped as a retry, which is no input.
let sent = 0;
const event = (user: string, t: number) =>
  JSON.stringify({
    event_id: `${user}-${t}-${sent++}`,
    event_time: new Date(t).toISOString(),
    event_type: 'view',
    user_id: user,
    quantity: 1,
    currency: 'USD',
    properties: {},
  });

/**
 * SPEC §4: an idle partition does not hold the global watermark back, so windows become final
 * without it. When it wakes up with records older than what was finalised, those are late: they go
 * to the late topic and change neither the published window nor its rows.
 */
describe('a partition that was idle while windows became final', () => {
  const prefix = `${uniqueName('idle-floor')}.`;
  const topics = topicNames(prefix);
  let db: Awaited<ReturnType<typeof createMigratedDatabase>>;
  let aggregator: RunningService | undefined;

  afterAll(async () => {
    await aggregator?.stop('SIGKILL');
    await db?.drop();
    await deleteTopics(testKafka(), Object.values(topics)).catch(() => undefined);
  });

  it('treats its records behind the finalised global watermark as late', async () => {
    db = await createMigratedDatabase('clickstream_test_idle');
    aggregator = await startService('aggregator', {
      DATABASE_URL: db.url,
      KAFKA_TOPIC_PREFIX: prefix,
      KAFKA_TOPIC_PARTITIONS: '2',
      STREAMS_IDLE_TIMEOUT_MS: '3000',
      AGGREGATOR_WINDOW_SIZES: '1m',
    });
    await waitForHttpOk(aggregator, '/health/ready', 60_000);
    const producer = testKafka().producer();
    await producer.connect();
    const send = (partition: number, user: string, t: number) =>
      producer.send({
        topic: topics.events,
        acks: -1,
        messages: [{ partition, key: user, value: event(user, t) }],
      });

    // Both partitions start at T0; then only partition 0 moves on to T0 + 10 min.
    await send(0, 'u0', T0);
    await send(1, 'u1', T0);
    for (let m = 1; m <= 10; m++) await send(0, 'u0', T0 + m * MIN);
    // Partition 0 stays active (input every 300 ms) while partition 1 goes idle: the global
    // watermark becomes partition 0's (T0 + 8 min).
    const finalUntil = async () =>
      Number(
        (
          await db.pool.query(
            `SELECT (extract(epoch FROM final_until) * 1000)::bigint AS ms FROM aggregate_progress WHERE window_size = '1m'`,
          )
        ).rows[0]?.ms ?? 0,
      );
    let keepAlive = Promise.resolve();
    const timer = setInterval(
      () => (keepAlive = keepAlive.then(() => send(0, 'u0', T0 + 10 * MIN).then(() => undefined))),
      300,
    );
    try {
      await waitFor(async () => (await finalUntil()) >= T0 + 8 * MIN, {
        timeoutMs: 60_000,
        what: '1 min windows final up to T0 + 8 min',
      });
    } finally {
      clearInterval(timer);
      await keepAlive;
    }

    // Partition 1 wakes up with an event in a window that is already final.
    await send(1, 'u1', T0 + 3 * MIN);
    await producer.disconnect();
    const late = await readTopic(
      testKafka(),
      topics.late,
      (r) => r.some((x) => x.value?.includes('"u1"')),
      60_000,
    );
    const record = JSON.parse(late.find((x) => x.value?.includes('"u1"'))!.value!) as {
      processor: string;
      event: { event_time: string };
    };
    expect(record.processor).toBe(`${prefix}clickstream-aggregator`);
    expect(record.event.event_time).toBe(new Date(T0 + 3 * MIN).toISOString());

    // The window as published once and as stored: u0's event only.
    const { rows } = await db.pool.query(
      `SELECT sum(events)::int AS events, sum(unique_users)::int AS users FROM window_aggregates WHERE window_size = '1m' AND dimension = 'all' AND window_start = $1`,
      [new Date(T0 + 3 * MIN)],
    );
    expect(rows[0]).toEqual({ events: 1, users: 1 });
    const published = (await readWholeTopic(testKafka(), topics.aggregates, 2))
      .map(
        (r) => JSON.parse(r.value!) as { window_start: string; dimension: string; events: number },
      )
      .filter(
        (v) => v.dimension === 'all' && v.window_start === new Date(T0 + 3 * MIN).toISOString(),
      );
    expect(published.map((v) => v.events)).toEqual([1]);
  });
});
