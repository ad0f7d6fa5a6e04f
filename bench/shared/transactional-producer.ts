/**
 * A librdkafka producer as ingest runs one: transactional, idempotent, murmur2 keys (the partitions
 * kafkajs and the Java client pick). For the producers bench and the tests that produce as ingest.
 */
import { LibrdKafkaError, Producer, ProducerGlobalConfig } from 'node-rdkafka';

/** A librdkafka call that reports through a callback, as a promise. */
export const call = (
  fn: (cb: (err: LibrdKafkaError | null | undefined) => void) => void,
): Promise<void> => new Promise((resolve, reject) => fn((err) => (err ? reject(err) : resolve())));

/** Connected, with its transactions initialised; `tuning` adds librdkafka settings. */
export async function transactionalProducer(
  brokers: string,
  transactionalId: string,
  tuning: ProducerGlobalConfig = {},
): Promise<Producer> {
  const producer = new Producer(
    {
      'metadata.broker.list': brokers,
      'transactional.id': transactionalId,
      'enable.idempotence': true,
      'linger.ms': 1,
      dr_cb: false,
      ...tuning,
    },
    { partitioner: 'murmur2_random' },
  );
  await new Promise<void>((resolve, reject) =>
    producer.connect({ timeout: 10_000 }, (err) => (err ? reject(err) : resolve())),
  );
  await call((cb) => producer.initTransactions(10_000, cb));
  return producer;
}

export function disconnectProducer(producer: Producer): Promise<void> {
  return new Promise((resolve) => producer.disconnect(5_000, () => resolve()));
}
