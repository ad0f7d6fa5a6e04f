import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { topicSpecs } from '@clickstream/contracts';

/** Value prefix of the end markers readWholeTopic appends (never valid JSON, never data). */
export const END_MARKER = '__end__';

/** Topic and group names unique to one test, so tests never see each other's data. */
export function uniqueName(prefix: string): string {
  return `test.${prefix}.${Date.now()}.${randomBytes(3).toString('hex')}`;
}

/** The broker list of the global setup's broker (comma-separated). */
export function testBrokers(): string {
  const brokers = process.env.KAFKA_BROKERS;
  if (!brokers)
    throw new Error('KAFKA_BROKERS is not set: integration tests need the global setup');
  return brokers;
}

export function testKafka(clientId = 'clickstream-test'): Kafka {
  return new Kafka({ clientId, brokers: testBrokers().split(','), logLevel: logLevel.NOTHING });
}

export async function createTopic(kafka: Kafka, topic: string, numPartitions = 1): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [{ topic, numPartitions, replicationFactor: 1 }],
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
}

/** Every topic of the platform under `prefix`, as the services would create them (topicSpecs). */
export async function createPlatformTopics(
  kafka: Kafka,
  prefix: string,
  partitions: number,
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: topicSpecs({ partitions, replicationFactor: 1, prefix }),
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
}

export async function deleteTopics(kafka: Kafka, topics: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics });
  } finally {
    await admin.disconnect();
  }
}

export interface ConsumedRecord {
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

/** Reads every record of `topic` from the beginning until `done(records)` holds. */
export async function readTopic(
  kafka: Kafka,
  topic: string,
  done: (records: ConsumedRecord[]) => boolean,
  timeoutMs = 60_000,
): Promise<ConsumedRecord[]> {
  const consumer = kafka.consumer({ groupId: uniqueName('reader'), readUncommitted: false });
  const records: ConsumedRecord[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`readTopic(${topic}) timed out with ${records.length} records`)),
        timeoutMs,
      );
      consumer
        .run({
          eachBatch: async ({ batch }) => {
            for (const m of batch.messages) {
              const headers: Record<string, string> = {};
              for (const [k, v] of Object.entries(m.headers ?? {})) headers[k] = String(v);
              records.push({
                partition: batch.partition,
                offset: m.offset,
                key: m.key?.toString() ?? null,
                value: m.value?.toString() ?? null,
                headers,
              });
            }
            if (done(records)) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return records;
}

/**
 * Reads a whole topic as a read_committed consumer: appends an end marker to every partition
 * (after the writers stopped) and reads until all markers are seen, so nothing is missed.
 */
export async function readWholeTopic(
  kafka: Kafka,
  topic: string,
  partitions: number,
): Promise<ConsumedRecord[]> {
  const marker = `${END_MARKER}${randomBytes(6).toString('hex')}`;
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({
    topic,
    acks: -1,
    messages: Array.from({ length: partitions }, (_, p) => ({
      partition: p,
      key: END_MARKER,
      value: marker,
    })),
  });
  await producer.disconnect();
  const records = await readTopic(
    kafka,
    topic,
    (r) => r.filter((x) => x.value === marker).length >= partitions,
    120_000,
  );
  return records.filter((r) => !r.value?.startsWith(END_MARKER));
}
