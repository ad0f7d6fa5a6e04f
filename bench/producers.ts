/**
 * The produce path alone, kafkajs against librdkafka (node-rdkafka), as ingest uses them: ~400-byte
 * JSON events keyed by user id, idempotent, one Kafka transaction per 8,000 events (kafkajs in
 * sendBatch calls of ~2,600, as ingest's 768 KiB requests did). Prints events/s and the process's CPU
 * per event (all threads: librdkafka's own threads included).
 *
 *   npm run bench:producers [-- --events 400000]
 */
import { Kafka, Partitioners } from 'kafkajs';
import { defineCommand, integer, parseOrExit } from '../tools/shared/args';
import { quietKafka } from '../tools/shared/quiet-kafka';
import { call, disconnectProducer, transactionalProducer } from './shared/transactional-producer';

const PER_TXN = 8_000;
const KAFKAJS_REQUEST = 2_600;

function events(): string[] {
  const now = new Date().toISOString();
  return Array.from({ length: 5000 }, (_, i) =>
    JSON.stringify({
      event_id: `01JBENCH${String(i).padStart(18, '0')}`,
      event_time: now,
      event_type: 'view',
      user_id: `bench-user-${i}`,
      product_id: String(100000 + i),
      category_code: 'electronics.smartphone',
      brand: 'acme',
      price: 10.99,
      quantity: 1,
      currency: 'USD',
      ip: '10.1.2.3',
      country: 'DE',
      user_agent: 'Mozilla/5.0 (X11; Linux x86_64) bench',
      page_url: `/p/${i}`,
      properties: {},
      received_at: now,
    }),
  );
}

async function viaKafkajs(
  kafka: Kafka,
  topic: string,
  values: string[],
  total: number,
): Promise<void> {
  const producer = kafka.producer({
    transactionalId: `bench-kafkajs-${topic}`,
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  for (let sent = 0; sent < total; sent += PER_TXN) {
    const txn = await producer.transaction();
    for (let c = 0; c < PER_TXN; c += KAFKAJS_REQUEST) {
      const messages = [];
      for (let i = c; i < Math.min(PER_TXN, c + KAFKAJS_REQUEST); i++)
        messages.push({ key: `bench-user-${(sent + i) % 5000}`, value: values[(sent + i) % 5000] });
      await txn.sendBatch({ acks: -1, topicMessages: [{ topic, messages }] });
    }
    await txn.commit();
  }
  await producer.disconnect();
}

async function viaRdkafka(
  brokers: string,
  topic: string,
  values: string[],
  total: number,
): Promise<void> {
  const producer = await transactionalProducer(brokers, `bench-rdkafka-${topic}`, {
    'batch.num.messages': 10_000,
    'queue.buffering.max.messages': 1_000_000,
  });
  for (let sent = 0; sent < total; sent += PER_TXN) {
    await call((cb) => producer.beginTransaction(cb));
    for (let i = 0; i < PER_TXN; i++)
      producer.produce(
        topic,
        null,
        Buffer.from(values[(sent + i) % 5000]),
        `bench-user-${(sent + i) % 5000}`,
      );
    await call((cb) => producer.commitTransaction(10_000, cb));
  }
  await disconnectProducer(producer);
}

export const PRODUCERS_COMMAND = defineCommand({
  invocation: 'npm run bench:producers --',
  description: `The produce path alone, kafkajs against librdkafka (node-rdkafka), as ingest uses them: events/s
and the process's CPU per event (librdkafka's own threads included).`,
  options: {
    events: integer({
      min: PER_TXN,
      default: 400_000,
      description: `events per client, in transactions of ${PER_TXN.toLocaleString('en-US')}`,
    }),
  },
  epilog: 'KAFKA_BROKERS picks the broker (default 127.0.0.1:19092).',
});

async function main(): Promise<void> {
  const total = parseOrExit('bench:producers', PRODUCERS_COMMAND).values.events;
  const brokers = process.env.KAFKA_BROKERS ?? '127.0.0.1:19092';
  const kafka = quietKafka('bench-producers', brokers);
  const admin = kafka.admin();
  await admin.connect();
  const values = events();
  const topics: string[] = [];
  try {
    for (const client of ['kafkajs', 'node-rdkafka'] as const) {
      const topic = `bench-producers-${client}-${Date.now()}`;
      topics.push(topic);
      await admin.createTopics({ topics: [{ topic, numPartitions: 6 }], waitForLeaders: true });
      const cpu0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      if (client === 'kafkajs') await viaKafkajs(kafka, topic, values, total);
      else await viaRdkafka(brokers, topic, values, total);
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const cpu = process.cpuUsage(cpu0);
      const n = Math.floor(total / PER_TXN) * PER_TXN;
      console.log(
        `${client.padEnd(13)} ${Math.round(n / seconds)
          .toLocaleString('en-US')
          .padStart(9)} events/s  ${((cpu.user + cpu.system) / n).toFixed(2)} µs CPU per event`,
      );
    }
  } finally {
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
  }
}

if (require.main === module) {
  main().catch((err: Error) => {
    console.error(err.message);
    process.exit(1);
  });
}
