import { StreamsApp } from '@clickstream/streams';
import { uniqueName } from '../../support/kafka';
import { waitFor } from '../../support/wait-for';
import { counterTopology } from './counter-topology';
import { BASE_TS, progress, setupCounterRun, totalsFromTable } from './harness';

/**
 * A transactionally written input whose last fetch holds only a commit or abort marker: kafkajs
 * never hands such a fetch to eachBatch, yet the processor must still commit past it, or its
 * partition stays one offset behind the end (lag 1, "caught up" never true) until more data comes.
 * A fetch limit of one byte makes every fetch a single record batch, so each marker arrives alone.
 */
describe('transaction markers at the end of a partition', () => {
  let run: Awaited<ReturnType<typeof setupCounterRun>>;
  let app: StreamsApp | undefined;

  beforeAll(async () => {
    run = await setupCounterRun('markers', 1);
  });

  afterAll(async () => {
    await app?.stop();
    await run.cleanup();
  });

  it('commits past a trailing commit marker and past a trailing aborted transaction', async () => {
    const { kafka, pool, appId, topics } = run;
    const producer = kafka.producer({
      transactionalId: uniqueName('markers-tx'),
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    const admin = kafka.admin();
    await admin.connect();
    const end = async () => Number((await admin.fetchTopicOffsets(topics.input))[0].high);
    const send = async (users: string[], commit: boolean) => {
      const tx = await producer.transaction();
      await tx.send({
        topic: topics.input,
        acks: -1,
        messages: users.map((user, i) => ({
          key: user,
          value: JSON.stringify({ user, ts: BASE_TS + i, n: 1 }),
        })),
      });
      await (commit ? tx.commit() : tx.abort());
    };
    try {
      app = new StreamsApp({
        topology: counterTopology(appId, { input: topics.input, output: topics.output }),
        kafka,
        pool,
        allowedLatenessMs: 5000,
        lateTopic: topics.late,
        deadLetterTopic: topics.dlq,
        sessionTimeoutMs: 6000,
        heartbeatIntervalMs: 500,
        maxBytesPerPartition: 1,
      });
      await app.start();

      await send(['a', 'b'], true);
      await send(['a'], true);
      // offsets 0-1 records, 2 marker, 3 record, 4 marker
      await waitFor(async () => (await end()) === 5, { what: 'input end 5' });
      await waitFor(async () => (await progress(pool, appId)) === 5, {
        timeoutMs: 30_000,
        what: 'committed past the commit marker (5)',
      });
      expect(await totalsFromTable(pool, appId)).toEqual(
        new Map([
          ['a', { events: 2, total: 2 }],
          ['b', { events: 1, total: 1 }],
        ]),
      );

      await send(['c', 'c'], false);
      // offsets 5-6 aborted records, 7 abort marker
      await waitFor(async () => (await end()) === 8, { what: 'input end 8' });
      await waitFor(async () => (await progress(pool, appId)) === 8, {
        timeoutMs: 30_000,
        what: 'committed past the aborted transaction (8)',
      });
      expect((await totalsFromTable(pool, appId)).has('c')).toBe(false);
    } finally {
      await producer.disconnect();
      await admin.disconnect();
    }
  });
});
