import { Kafka } from 'kafkajs';
import { createTopic, deleteTopics, readTopic, testKafka, uniqueName } from '../../support/kafka';

describe('real Kafka broker', () => {
  let kafka: Kafka;
  let topic: string;

  beforeAll(async () => {
    kafka = testKafka();
    topic = uniqueName('roundtrip');
    await createTopic(kafka, topic, 3);
  });

  afterAll(() => deleteTopics(kafka, [topic]));

  it('delivers every produced record once, all records of a key on one partition', async () => {
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const messages = Array.from({ length: 1000 }, (_, i) => ({
      key: `user-${i % 37}`,
      value: JSON.stringify({ seq: i }),
    }));
    try {
      await producer.sendBatch({ acks: -1, topicMessages: [{ topic, messages }] });
    } finally {
      await producer.disconnect();
    }

    const records = await readTopic(kafka, topic, (r) => r.length >= 1000);

    const seqs = records
      .map((r) => JSON.parse(r.value ?? '{}').seq as number)
      .sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    const partitionsByKey = new Map<string, Set<number>>();
    for (const r of records) {
      const set = partitionsByKey.get(r.key ?? '') ?? new Set<number>();
      set.add(r.partition);
      partitionsByKey.set(r.key ?? '', set);
    }
    expect(partitionsByKey.size).toBe(37);
    for (const set of partitionsByKey.values()) expect(set.size).toBe(1);
    expect(new Set(records.map((r) => r.partition)).size).toBeGreaterThan(1);
  });
});
