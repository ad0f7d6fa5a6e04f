/**
 * The counter topology as a standalone process, for crash and rebalance tests (run with tsx).
 * Env: KAFKA_BROKERS, DATABASE_URL, APP_ID, INPUT_TOPIC, OUTPUT_TOPIC, DLQ_TOPIC, LATE_TOPIC,
 * SESSION_TIMEOUT_MS. Prints "ready" once consuming; SIGTERM stops it cleanly.
 */
import { Kafka, logLevel } from 'kafkajs';
import { Pool } from 'pg';
import { StreamsApp } from '@clickstream/streams';
import { counterTopology } from './counter-topology';

async function main(): Promise<void> {
  const env = process.env;
  const kafka = new Kafka({
    clientId: `counter-${process.pid}`,
    brokers: env.KAFKA_BROKERS!.split(','),
    logLevel: logLevel.NOTHING,
  });
  const pool = new Pool({ connectionString: env.DATABASE_URL, max: 4 });
  const app = new StreamsApp({
    topology: counterTopology(env.APP_ID!, { input: env.INPUT_TOPIC!, output: env.OUTPUT_TOPIC! }),
    kafka,
    pool,
    allowedLatenessMs: 5000,
    idleTimeoutMs: 60_000,
    lateTopic: env.LATE_TOPIC,
    deadLetterTopic: env.DLQ_TOPIC,
    sessionTimeoutMs: Number(env.SESSION_TIMEOUT_MS ?? 6000),
    heartbeatIntervalMs: 500,
    maxBytesPerPartition: 256 * 1024,
    // Unset: the runtime's default (30 s).
    stateFlushIntervalMs:
      env.STATE_FLUSH_INTERVAL_MS === undefined ? undefined : Number(env.STATE_FLUSH_INTERVAL_MS),
    logger: {
      info: (o, m) => process.stderr.write(`${m} ${JSON.stringify(o)}\n`),
      warn: (o, m) => process.stderr.write(`WARN ${m} ${JSON.stringify(o)}\n`),
      error: (o, m) => process.stderr.write(`ERROR ${m} ${JSON.stringify(o)}\n`),
    },
  });
  await app.start();
  process.stdout.write('ready\n');
  process.once('SIGTERM', () => {
    void app
      .stop()
      .then(() => pool.end())
      .then(() => process.exit(0));
  });
}

main().catch((err) => {
  process.stderr.write(`counter-processor failed: ${(err as Error).stack}\n`);
  process.exit(1);
});
