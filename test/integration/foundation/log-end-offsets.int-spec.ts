import { Producer } from 'node-rdkafka';
import {
  call,
  disconnectProducer,
  transactionalProducer,
} from '../../../bench/shared/transactional-producer';
import { logEndOffsets } from '../../../tools/shared/log-end-offsets';
import { createTopic, deleteTopics, testBrokers, testKafka, uniqueName } from '../../support/kafka';

/*
 * "Every processor is at the end of the topic" is how the fault suite, the observability suite and
 * the demo decide that what ingest acknowledged has been processed. kafkajs' admin answers the last
 * stable offset, which trails librdkafka's commitTransaction (ingest's 202) until the markers are
 * written: a test once read that stale end, found every processor there, and missed the last batch.
 * The end logEndOffsets gives must include every record of a transaction from the moment it is
 * committed, and indeed from the moment it is written.
 */

const PARTITIONS = 6;
const ROUNDS = 20;
const PER_ROUND = 60;

const sum = (ends: Map<number, bigint>) => [...ends.values()].reduce((s, n) => s + Number(n), 0);

describe('logEndOffsets: the log end a caught-up check can trust', () => {
  const topic = uniqueName('log-end');
  let producer: Producer;

  beforeAll(async () => {
    await createTopic(testKafka(), topic, PARTITIONS);
    // As ingest produces: one transactional, idempotent librdkafka producer, murmur2 keys.
    producer = await transactionalProducer(testBrokers(), `${topic}-producer`);
  }, 60_000);

  afterAll(async () => {
    await disconnectProducer(producer);
    await deleteTopics(testKafka(), [topic]);
  });

  it('lists every partition of the topic, and an empty one at 0', async () => {
    const ends = await logEndOffsets(testBrokers(), topic);
    expect([...ends.keys()]).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('includes a committed transaction as soon as the commit returns, every time', async () => {
    let written = 0;
    const short: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      await call((cb) => producer.beginTransaction(cb));
      for (let i = 0; i < PER_ROUND; i++)
        producer.produce(topic, null, Buffer.from(`r${round}-${i}`), `user-${round}-${i}`);
      await call((cb) => producer.commitTransaction(10_000, cb));
      written += PER_ROUND;
      // Data records plus markers: at least every record written so far, never fewer.
      const end = sum(await logEndOffsets(testBrokers(), topic));
      if (end < written) short.push(`round ${round}: end ${end} < ${written} records written`);
    }
    expect(short).toEqual([]);
  }, 120_000);

  it('includes the records of a transaction that is still open', async () => {
    const before = sum(await logEndOffsets(testBrokers(), topic));
    await call((cb) => producer.beginTransaction(cb));
    for (let i = 0; i < PER_ROUND; i++)
      producer.produce(topic, null, Buffer.from(`open-${i}`), `open-${i}`);
    await call((cb) => producer.flush(10_000, cb));
    const open = sum(await logEndOffsets(testBrokers(), topic));
    await call((cb) => producer.abortTransaction(10_000, cb));
    expect(open - before).toBe(PER_ROUND);
  }, 60_000);
});
