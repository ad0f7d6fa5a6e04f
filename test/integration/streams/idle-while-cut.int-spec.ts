import { connect, Socket } from 'node:net';
import { Kafka, logLevel } from 'kafkajs';
import { StreamsApp } from '@clickstream/streams';
import { readWholeTopic } from '../../support/kafka';
import { waitFor } from '../../support/wait-for';
import { counterTopology, CountEvent } from './counter-topology';
import { progress, setupCounterRun, totalsFromTable, waitForOutboxDrained } from './harness';

/** A Kafka client whose network the test can cut (every socket dropped, new ones refused) and heal. */
function cuttableKafka(brokers: string[]) {
  const sockets = new Set<Socket>();
  let cut = false;
  const kafka = new Kafka({
    clientId: 'idle-while-cut',
    brokers,
    logLevel: logLevel.NOTHING,
    socketFactory: ({ host, port, onConnect }) => {
      if (cut) {
        const refused = new Socket();
        process.nextTick(() =>
          refused.destroy(
            Object.assign(new Error(`connect ECONNREFUSED ${host}:${port} (cut by the test)`), {
              code: 'ECONNREFUSED',
            }),
          ),
        );
        return refused;
      }
      const socket = connect({ host, port }, onConnect);
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      return socket;
    },
  });
  return {
    kafka,
    cut() {
      cut = true;
      for (const s of sockets) s.destroy(new Error('connection cut by the test'));
    },
    heal() {
      cut = false;
    },
  };
}

/**
 * Idleness means "the consumer reads the partition and finds nothing", never "nothing arrived"
 * (SPEC §4). Here the processor's network is cut for longer than the idle timeout plus the allowed
 * lateness while live traffic (event time = wall clock) keeps arriving at the broker. Were the
 * partition ticked idle meanwhile, its watermark would pass those records and they would be late
 * when the network heals; held, every one of them counts.
 */
describe('a processor cut off from the broker never turns its partitions idle', () => {
  let run: Awaited<ReturnType<typeof setupCounterRun>>;
  let app: StreamsApp | undefined;
  const logs: string[] = [];

  beforeAll(async () => {
    run = await setupCounterRun('cut', 1);
  });

  afterAll(async () => {
    await app?.stop();
    await run.cleanup();
  });

  it('holds the watermark while cut: records that waited in the broker are on time, none late', async () => {
    const { kafka, pool, appId, topics } = run;
    const net = cuttableKafka(process.env.KAFKA_BROKERS!.split(','));
    const log = (level: string) => (o: Record<string, unknown>, m: string) =>
      void logs.push(`${level} ${m} ${JSON.stringify(o)}`);
    app = new StreamsApp({
      topology: counterTopology(appId, { input: topics.input, output: topics.output }),
      kafka: net.kafka,
      pool,
      allowedLatenessMs: 5000,
      idleTimeoutMs: 3000,
      punctuateIntervalMs: 200,
      fetchMaxWaitMs: 500,
      lateTopic: topics.late,
      deadLetterTopic: topics.dlq,
      sessionTimeoutMs: 6000,
      heartbeatIntervalMs: 500,
      restartBackoff: { initialMs: 200, maxMs: 1000 },
      logger: { info: log('INFO'), warn: log('WARN'), error: log('ERROR') },
    });
    await app.start();
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const send = (user: string) => {
      const event: CountEvent = { user, ts: Date.now(), n: 1 };
      return producer.send({
        topic: topics.input,
        acks: -1,
        messages: [{ key: user, value: JSON.stringify(event) }],
      });
    };
    try {
      await send('before');
      await waitFor(async () => (await progress(pool, appId)) === 1, {
        timeoutMs: 30_000,
        what: 'first record committed',
      });
      net.cut();
      // Live traffic reaches the broker while the processor cannot read it: 12 s, past the 3 s
      // idle timeout plus the 5 s lateness, so an idle watermark would overtake the first ones.
      const cutAt = Date.now();
      let sent = 1;
      while (Date.now() - cutAt < 12_000) {
        await send(`during-${sent}`);
        sent++;
        await waitFor(async () => Date.now() - cutAt >= (sent - 1) * 1000, {
          intervalMs: 50,
          what: 'next send time',
        });
      }
      expect(
        logs.some((l) => l.startsWith('WARN consumer not fetching: idle partitions held')),
      ).toBe(true);
      net.heal();
      await waitFor(async () => (await progress(pool, appId)) === sent, {
        timeoutMs: 90_000,
        what: `all ${sent} records committed`,
      });

      await waitForOutboxDrained(pool, appId);
      expect(await readWholeTopic(kafka, topics.late, 1)).toEqual([]);
      const totals = await totalsFromTable(pool, appId);
      expect([...totals.values()].reduce((n, t) => n + t.events, 0)).toBe(sent);
      expect(
        logs.some((l) => l.startsWith('INFO consumer fetching: idle partitions may advance')),
      ).toBe(true);
    } finally {
      net.heal();
      await producer.disconnect();
    }
  }, 180_000);
});
