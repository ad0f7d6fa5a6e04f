import { Kafka, KafkaConfig, logLevel } from 'kafkajs';

/**
 * A kafkajs client for a tool or benchmark: `brokers` as KAFKA_BROKERS spells them (comma-separated),
 * and kafkajs' own log lines off, since the scripts report failures themselves.
 */
export function quietKafka(
  clientId: string,
  brokers: string,
  config: Omit<KafkaConfig, 'clientId' | 'brokers' | 'logLevel'> = {},
): Kafka {
  return new Kafka({
    clientId,
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
    ...config,
  });
}
