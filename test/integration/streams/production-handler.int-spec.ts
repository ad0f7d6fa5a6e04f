import { failOnError, OutboxPublisher } from '@clickstream/streams';
import { deleteTopics, readTopic, testKafka, uniqueName } from '../../support/kafka';

/** The broker refuses a record over the output topic's max.message.bytes: the production handler decides. */
describe('production exception handler', () => {
  const kafka = testKafka();
  const source = uniqueName('prod-src');
  const out = uniqueName('prod-out');
  const dlq = uniqueName('prod-dlq');
  const tooBig = 'x'.repeat(20_000);

  beforeAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: source, numPartitions: 1, replicationFactor: 1 },
        {
          topic: out,
          numPartitions: 1,
          replicationFactor: 1,
          configEntries: [{ name: 'max.message.bytes', value: '4096' }],
        },
        { topic: dlq, numPartitions: 1, replicationFactor: 1 },
      ],
    });
    await admin.disconnect();
  });

  afterAll(async () => {
    await deleteTopics(kafka, [source, out, dlq]);
  });

  async function publishWith(
    options: ConstructorParameters<typeof OutboxPublisher>[3],
    appId: string,
  ) {
    const admin = kafka.admin();
    await admin.connect();
    const publisher = new OutboxPublisher(
      kafka,
      admin,
      { appId, topic: source, partition: 0 },
      options,
    );
    try {
      await publisher.init();
      return await publisher.publish([
        { seq: 0, topic: out, key: 'k', value: 'small-before' },
        { seq: 1, topic: out, key: 'k', value: tooBig },
        { seq: 2, topic: out, key: 'k', value: 'small-after' },
      ]);
    } finally {
      await publisher.close();
      await admin.disconnect();
    }
  }

  it('by default replaces the refused record by a dead letter with the broker reason and publishes the rest', async () => {
    const rejected: string[] = [];
    const sent = await publishWith(
      { deadLetterTopic: dlq, onRejected: (_topic, reason) => rejected.push(reason) },
      uniqueName('prod-default'),
    );
    expect(sent).toBe(3);
    const published = await readTopic(kafka, out, (records) => records.length >= 2);
    expect(published.map((r) => r.value)).toEqual(['small-before', 'small-after']);
    const [letter] = await readTopic(kafka, dlq, (records) => records.length >= 1);
    expect(JSON.parse(String(letter.value))).toMatchObject({
      reason: 'publish_rejected',
      target_topic: out,
    });
    expect(rejected).toHaveLength(1);
  });

  it('with failOnError the publish fails and nothing of the transaction is visible (LogAndFail)', async () => {
    const failing = uniqueName('prod-fail');
    await expect(
      publishWith({ deadLetterTopic: dlq, productionHandler: failOnError }, failing),
    ).rejects.toThrow();
    // Only the first test's records are on the topics: the aborted transaction added none.
    const published = await readTopic(kafka, out, (records) => records.length >= 2);
    expect(published.map((r) => r.value)).toEqual(['small-before', 'small-after']);
    const letters = await readTopic(kafka, dlq, (records) => records.length >= 1);
    expect(letters).toHaveLength(1);
  });
});
