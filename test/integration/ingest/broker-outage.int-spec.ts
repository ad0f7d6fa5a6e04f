import { localKafkaOptions, startBroker, stopBroker } from '../../../tools/kafka/local-kafka';
import { waitFor } from '../../support/wait-for';
import { Answer, post, readAll, startIngest } from './ingest-harness';

const batch = (name: string, n: number) =>
  Array.from({ length: n }, (_, i) => ({
    event_id: `${name}-${i}`,
    event_time: new Date(Date.now() - 60_000 + i).toISOString(),
    event_type: 'view',
    user_id: `outage-${i % 17}`,
  }));

describe('Kafka broker stopped mid-test', () => {
  let ingest: Awaited<ReturnType<typeof startIngest>>;

  beforeAll(async () => {
    if (process.env.TEST_OWNS_BROKER === undefined) throw new Error('global setup did not run');
    ingest = await startIngest();
  });

  // The global setup exported KAFKA_BROKERS; the local broker is restarted as such, not as external.
  const restartLocal = () => startBroker(localKafkaOptions(), () => undefined, {});

  afterAll(async () => {
    try {
      await ingest.cleanup();
    } finally {
      // Whatever happened, leave a running broker for the next suites.
      await restartLocal();
    }
  });

  it('answers 503 with Retry-After and accepts nothing; after the restart a retry succeeds with no loss and no duplicate', async () => {
    if (process.env.KAFKA_BROKERS !== `127.0.0.1:${localKafkaOptions().port}`) {
      throw new Error(
        'this test stops and restarts the local broker: run it without an external KAFKA_BROKERS',
      );
    }
    const before = batch('before', 200);
    const during = batch('during', 300);
    expect(
      (await post(ingest.svc, '/v1/events', JSON.stringify(before), 'application/json')).status,
    ).toBe(202);

    await stopBroker(localKafkaOptions());
    const refused = await post(
      ingest.svc,
      '/v1/events',
      JSON.stringify(during),
      'application/json',
    );
    expect(refused.status).toBe(503);
    expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(refused.body.accepted).toBe(0);

    await restartLocal();
    // A client retrying on 503 (as the replay CLI does) until the producer is back.
    const accepted = await waitFor(
      async (): Promise<Answer | undefined> => {
        const a = await post(ingest.svc, '/v1/events', JSON.stringify(during), 'application/json');
        if (a.status === 503) return undefined;
        return a;
      },
      {
        timeoutMs: 90_000,
        intervalMs: 500,
        what: 'ingest to accept again after the broker restart',
      },
    );
    expect(accepted.status).toBe(202);
    expect(accepted.body.accepted).toBe(300);

    const ids = (await readAll(ingest.topics.events)).map((r) => r.json.event_id as string);
    expect(ids.length).toBe(500);
    expect(new Set(ids)).toEqual(new Set([...before, ...during].map((e) => e.event_id)));
  });
});
