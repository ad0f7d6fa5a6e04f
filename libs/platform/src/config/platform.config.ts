import { hostname } from 'node:os';
import { z } from 'zod';
import { ConfigType } from '@nestjs/config';
import { defineConfig } from './define-config';
import { env } from './env';

const hostPort = /^[^\s:,]+:\d{1,5}$/;

/** The local broker of `npm run kafka:start` listens here. */
export const DEFAULT_KAFKA_BROKERS = '127.0.0.1:19092';
export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/clickstream';
/** V8's own, adaptive old-generation growth (see runtimeConfig). */
export const DEFAULT_HEAP_GROWTH_PERCENT = 0;

export const kafkaConfig = defineConfig(
  'kafka',
  {
    KAFKA_BROKERS: env
      .list([DEFAULT_KAFKA_BROKERS])
      .refine(
        (items) => items.every((b) => hostPort.test(b)),
        'must be a comma-separated list of host:port',
      ),
    KAFKA_CLIENT_ID: env.string('clickstream'),
    KAFKA_TOPIC_PARTITIONS: env.int(6, 1, 10_000),
    KAFKA_REPLICATION_FACTOR: env.int(1, 1, 10),
    KAFKA_CONNECTION_TIMEOUT_MS: env.int(3000, 100, 120_000),
    KAFKA_TOPIC_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9._-]*$/, 'may hold only letters, digits, ".", "_" and "-"')
      .max(100, 'must be at most 100 characters')
      .default(''),
  },
  (v) => ({
    brokers: v.KAFKA_BROKERS,
    clientId: v.KAFKA_CLIENT_ID,
    topicPartitions: v.KAFKA_TOPIC_PARTITIONS,
    replicationFactor: v.KAFKA_REPLICATION_FACTOR,
    connectionTimeoutMs: v.KAFKA_CONNECTION_TIMEOUT_MS,
    topicPrefix: v.KAFKA_TOPIC_PREFIX,
  }),
);

export const databaseConfig = defineConfig(
  'database',
  {
    DATABASE_URL: env
      .string(DEFAULT_DATABASE_URL)
      .refine((v) => /^postgres(ql)?:\/\/.+/.test(v), 'must be a postgres:// connection URL'),
    DATABASE_POOL_SIZE: env.int(10, 1, 500),
    // Nothing waits forever (SPEC §9): a statement, a lock wait, an open transaction and a connect
    // attempt are each bounded; a commit that hits a bound fails, is logged, and is retried.
    DATABASE_STATEMENT_TIMEOUT_MS: env.int(30_000, 100, 3_600_000),
    DATABASE_LOCK_TIMEOUT_MS: env.int(10_000, 100, 3_600_000),
    DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: env.int(60_000, 100, 3_600_000),
    DATABASE_CONNECT_TIMEOUT_MS: env.int(5_000, 100, 120_000),
  },
  (v) => ({
    url: v.DATABASE_URL,
    poolSize: v.DATABASE_POOL_SIZE,
    timeouts: {
      statementMs: v.DATABASE_STATEMENT_TIMEOUT_MS,
      lockMs: v.DATABASE_LOCK_TIMEOUT_MS,
      idleInTransactionMs: v.DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS,
      connectMs: v.DATABASE_CONNECT_TIMEOUT_MS,
    },
  }),
);

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const loggingConfig = defineConfig(
  'logging',
  {
    LOG_LEVEL: env.enum(LOG_LEVELS, 'info'),
    LOG_PRETTY: env.bool(false),
  },
  (v) => ({ level: v.LOG_LEVEL, pretty: v.LOG_PRETTY }),
);

/**
 * The Node runtime under each service. V8 lets a heap of a few hundred MB grow to about four times
 * its live data before a full collection, so RSS follows the garbage a service leaves as much as
 * the state it holds. NODE_HEAP_GROWTH_PERCENT fixes the growth factor at 1 + percent / 100: at 50
 * the sessionizer's peak RSS in a 10-minute soak fell from 605 to 404 MB, but the processors' CPU
 * per event in the dense bench:pipeline rose by a fifth or more (BENCHMARKS.md, 2026-12-04), so
 * the default (0) keeps V8's own choice and memory is the operator's trade to make.
 */
export const runtimeConfig = defineConfig(
  'runtime',
  { NODE_HEAP_GROWTH_PERCENT: env.int(DEFAULT_HEAP_GROWTH_PERCENT, 0, 300) },
  (v) => ({ heapGrowthPercent: v.NODE_HEAP_GROWTH_PERCENT }),
);

/** HTTP listener; each service has its own default port (SPEC §1). */
export function httpConfig(defaultPort: number) {
  return defineConfig(
    'http',
    {
      HTTP_PORT: env.port(defaultPort),
      HTTP_HOST: env.string('0.0.0.0'),
    },
    (v) => ({ port: v.HTTP_PORT, host: v.HTTP_HOST }),
  );
}

export type KafkaConfig = ConfigType<typeof kafkaConfig>;
export type DatabaseConfig = ConfigType<typeof databaseConfig>;
export type LoggingConfig = ConfigType<typeof loggingConfig>;
export type HttpConfig = ConfigType<ReturnType<typeof httpConfig>>;
export type RuntimeConfig = ConfigType<typeof runtimeConfig>;

/** In STREAMS_GROUP_INSTANCE_ID, stands for the machine's (the container's) host name. */
const HOSTNAME_PLACEHOLDER = '{hostname}';

/** Settings every stream processor shares (SPEC §4, §9). */
export const streamsConfig = defineConfig(
  'streams',
  {
    STREAMS_ALLOWED_LATENESS_MS: env.int(120_000, 0, 7 * 24 * 3_600_000),
    STREAMS_IDLE_TIMEOUT_MS: env.int(30_000, 100, 24 * 3_600_000),
    STREAMS_MAX_RETRIES: env.int(2, 0, 100),
    STREAMS_SESSION_TIMEOUT_MS: env.int(30_000, 1000, 3_600_000),
    // Static group membership: unique per instance and stable across its restarts (a pod's name;
    // in compose `<name>-{hostname}`, the container's id, which its restarts keep and each replica
    // has its own of). Unset: a dynamic member, whose killed partitions wait the session timeout
    // even for its restart.
    STREAMS_GROUP_INSTANCE_ID: z
      .string()
      .transform((id) => id.split(HOSTNAME_PLACEHOLDER).join(hostname()))
      .pipe(
        z
          .string()
          .regex(
            /^[a-zA-Z0-9._-]{1,249}$/,
            'must be 1-249 characters of a-z, A-Z, 0-9, ".", "_", "-"',
          )
          .refine((id) => id !== '.' && id !== '..', 'must not be "." or ".."'),
      )
      .optional(),
    // A task commits at most this often (Kafka Streams' commit.interval.ms); 0: every fetched batch.
    // Unset: the processor's own default (processorRuntime).
    STREAMS_COMMIT_INTERVAL_MS: env.optionalInt(0, 60_000),
    // A task holding records for the outbox commits this soon instead (at most the interval).
    // Unset: the processor's own default, else the commit interval.
    STREAMS_OUTPUT_COMMIT_INTERVAL_MS: env.optionalInt(0, 60_000),
    // Partitions whose fetched batches are processed at once (kafkajs partitionsConsumedConcurrently).
    // Unset: the runtime's default (6).
    STREAMS_PARTITIONS_CONSUMED_CONCURRENTLY: env.optionalInt(1, 64),
    // kafkajs cannot consume a record batch larger than this: keep it above the broker's 1 MiB limit.
    STREAMS_MAX_BYTES_PER_PARTITION: env.int(2 * 1024 * 1024, 1_100_000, 64 * 1024 * 1024),
    // A failed task is rebuilt after a delay doubling from the initial one up to the max, jittered.
    STREAMS_RESTART_BACKOFF_INITIAL_MS: env.int(1000, 10, 600_000),
    STREAMS_RESTART_BACKOFF_MAX_MS: env.int(60_000, 10, 3_600_000),
    // A partition with lag whose committed offset has not moved this long is stalled (metric, log).
    STREAMS_STALL_TIMEOUT_MS: env.int(60_000, 1000, 24 * 3_600_000),
    // Late and dead-letter records cut the original payload above this (under the broker's 1 MiB).
    STREAMS_MAX_PAYLOAD_BYTES: env.int(512 * 1024, 1024, 900_000),
    // Event ids are remembered this long behind the watermark (event time) to drop retried events;
    // 0 turns deduplication off. Default 24 h.
    STREAMS_DEDUPE_HORIZON_MS: env.int(24 * 3_600_000, 0, 30 * 24 * 3_600_000),
    // Memory per task for the filter that spares most ids their dedupe lookup; 0: no filter.
    // Unset: the runtime's default (0).
    STREAMS_DEDUPE_FILTER_MAX_BYTES: env.optionalInt(0, 1024 * 1024 * 1024),
    // A changed state key reaches stream_state after this long, its changes logged meanwhile (one
    // row per commit); 0: every commit writes its keys to stream_state. Unset: the runtime's (30 s).
    STREAMS_STATE_FLUSH_INTERVAL_MS: env.optionalInt(0, 600_000),
  },
  (v) => ({
    allowedLatenessMs: v.STREAMS_ALLOWED_LATENESS_MS,
    idleTimeoutMs: v.STREAMS_IDLE_TIMEOUT_MS,
    maxRetries: v.STREAMS_MAX_RETRIES,
    sessionTimeoutMs: v.STREAMS_SESSION_TIMEOUT_MS,
    groupInstanceId: v.STREAMS_GROUP_INSTANCE_ID,
    commitIntervalMs: v.STREAMS_COMMIT_INTERVAL_MS,
    outputCommitIntervalMs: v.STREAMS_OUTPUT_COMMIT_INTERVAL_MS,
    partitionsConsumedConcurrently: v.STREAMS_PARTITIONS_CONSUMED_CONCURRENTLY,
    maxBytesPerPartition: v.STREAMS_MAX_BYTES_PER_PARTITION,
    restartBackoffInitialMs: v.STREAMS_RESTART_BACKOFF_INITIAL_MS,
    restartBackoffMaxMs: Math.max(
      v.STREAMS_RESTART_BACKOFF_MAX_MS,
      v.STREAMS_RESTART_BACKOFF_INITIAL_MS,
    ),
    stallTimeoutMs: v.STREAMS_STALL_TIMEOUT_MS,
    maxPayloadBytes: v.STREAMS_MAX_PAYLOAD_BYTES,
    dedupeHorizonMs: v.STREAMS_DEDUPE_HORIZON_MS,
    dedupeFilterMaxBytes: v.STREAMS_DEDUPE_FILTER_MAX_BYTES,
    stateFlushIntervalMs: v.STREAMS_STATE_FLUSH_INTERVAL_MS,
  }),
);

export type StreamsConfig = ConfigType<typeof streamsConfig>;
