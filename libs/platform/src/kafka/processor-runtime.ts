import { Pool } from 'pg';
import { Registry } from 'prom-client';
import { Kafka } from 'kafkajs';
import { PinoLogger } from 'nestjs-pino';
import { StreamsConfig } from '../config';
import { MetricsService } from '../metrics';
import { KafkaClient } from './kafka.client';

/** pino's (object, message) signature, as libs/streams' StreamsLogger expects. */
export interface ProcessorLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

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
  /** Unset: a dynamic group member (no static membership). */
  groupInstanceId?: string;
  /** Unset: the runtime's defaults (libs/streams resolveOptions: 100 ms, outputs the interval). */
  commitIntervalMs?: number;
  outputCommitIntervalMs?: number;
  /** Unset: the runtime's default (resolveOptions). */
  partitionsConsumedConcurrently?: number;
  /** Unset: the runtime's default (resolveOptions). */
  dedupeFilterMaxBytes?: number;
  /** Unset: the runtime's default (resolveOptions). */
  stateFlushIntervalMs?: number;
  maxBytesPerPartition: number;
  registry: Registry;
  metricPrefix: string;
  logger: ProcessorLogger;
  restartBackoff: { initialMs: number; maxMs: number };
  stallAfterMs: number;
  maxPayloadBytes: number;
}

/** What a processor may set for itself; the env (STREAMS_*) overrides it. */
export interface ProcessorDefaults {
  commitIntervalMs?: number;
  /** How soon a task holding outbox records commits; default: the commit interval. */
  outputCommitIntervalMs?: number;
}

/**
 * The service's Kafka client, pool, SPEC §4 and §9 settings, metrics registry and logger, for
 * StreamsModule. The runtime logs through nestjs-pino, so its lines carry the service name like
 * every other line of the service.
 */
export function processorRuntime(
  kafka: KafkaClient,
  pool: Pool,
  streams: StreamsConfig,
  metrics: MetricsService,
  metricPrefix: string,
  logger: PinoLogger,
  defaults: ProcessorDefaults = {},
): ProcessorRuntime {
  logger.setContext('streams');
  return {
    kafka: kafka.kafka,
    pool,
    lateTopic: kafka.topics.late,
    deadLetterTopic: kafka.topics.eventsDlq,
    allowedLatenessMs: streams.allowedLatenessMs,
    idleTimeoutMs: streams.idleTimeoutMs,
    maxRetries: streams.maxRetries,
    sessionTimeoutMs: streams.sessionTimeoutMs,
    groupInstanceId: streams.groupInstanceId,
    commitIntervalMs: streams.commitIntervalMs ?? defaults.commitIntervalMs,
    outputCommitIntervalMs: streams.outputCommitIntervalMs ?? defaults.outputCommitIntervalMs,
    partitionsConsumedConcurrently: streams.partitionsConsumedConcurrently,
    dedupeFilterMaxBytes: streams.dedupeFilterMaxBytes,
    stateFlushIntervalMs: streams.stateFlushIntervalMs,
    maxBytesPerPartition: streams.maxBytesPerPartition,
    registry: metrics.registry,
    metricPrefix,
    logger,
    restartBackoff: {
      initialMs: streams.restartBackoffInitialMs,
      maxMs: streams.restartBackoffMaxMs,
    },
    stallAfterMs: streams.stallTimeoutMs,
    maxPayloadBytes: streams.maxPayloadBytes,
  };
}
