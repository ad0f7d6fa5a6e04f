import { Pool } from 'pg';
import { Registry } from 'prom-client';
import { Kafka } from 'kafkajs';
import { StreamsConfig } from '../config';
import { MetricsService } from '../metrics';
import { KafkaClient } from './kafka.client';

/** What every stream processor takes from the platform (a subset of libs/streams' StreamsAppOptions). */
export interface ProcessorRuntime {
  kafka: Kafka;
  pool: Pool;
  lateTopic: string;
  deadLetterTopic: string;
  allowedLatenessMs: number;
  idleTimeoutMs: number;
  maxRetries: number;
  sessionTimeoutMs: number;
  maxBytesPerPartition: number;
  registry: Registry;
  metricPrefix: string;
}

/** The service's Kafka client, pool, SPEC §4 settings and metrics registry, for StreamsModule. */
export function processorRuntime(kafka: KafkaClient, pool: Pool, streams: StreamsConfig, metrics: MetricsService, metricPrefix: string): ProcessorRuntime {
  return {
    kafka: kafka.kafka,
    pool,
    lateTopic: kafka.topics.late,
    deadLetterTopic: kafka.topics.eventsDlq,
    allowedLatenessMs: streams.allowedLatenessMs,
    idleTimeoutMs: streams.idleTimeoutMs,
    maxRetries: streams.maxRetries,
    sessionTimeoutMs: streams.sessionTimeoutMs,
    maxBytesPerPartition: streams.maxBytesPerPartition,
    registry: metrics.registry,
    metricPrefix,
  };
}
