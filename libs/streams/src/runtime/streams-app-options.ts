import { Admin, Kafka } from 'kafkajs';
import { Pool } from 'pg';
import { Counter, Registry } from 'prom-client';
import {
  DeserializationExceptionHandler,
  ProcessingExceptionHandler,
  ProductionExceptionHandler,
} from '../core/exception-handlers';
import { StreamTask, TaskOptions, TaskRestore } from '../core/task';
import { StreamsError } from '../core/errors';
import { Topology } from '../core/topology';
import { DEFAULT_RESTART_BACKOFF, RestartBackoffOptions } from './backoff';
import { GlobalStage } from './global-stage';
import { silentLogger, StreamsLogger } from './logger';
import { partitionLabels } from './metrics';
import { OutboxPublisher } from './outbox-publisher';
import { StateChangelog } from './state-changelog';
import { TaskIdentity } from './task-repository';

export interface StreamsAppOptions {
  topology: Topology;
  kafka: Kafka;
  pool: Pool;
  /** Allowed lateness (SPEC §4), default 2 min. */
  allowedLatenessMs?: number;
  /** A partition without input for this long is idle (SPEC §4), default 30 s. */
  idleTimeoutMs?: number;
  lateTopic?: string;
  deadLetterTopic?: string;
  /** Retries of a failing record before it is dead-lettered, default 2. */
  maxRetries?: number;
  /** How often idle partitions are ticked, default 1 s. */
  punctuateIntervalMs?: number;
  /**
   * A task commits at most this often (Kafka Streams' commit.interval.ms): batches fetched
   * meanwhile go into one commit, default 100 ms. 0 commits every batch.
   */
  commitIntervalMs?: number;
  /**
   * A task holding records for the outbox commits at most this long after its previous commit
   * (default and at most commitIntervalMs). A processor whose outputs are rare and urgent (alerts)
   * can commit its state every second and its outputs at once, saving each commit's fixed cost
   * (planning, the fence) without delaying what it publishes.
   */
  outputCommitIntervalMs?: number;
  /** More uncommitted records than this commit at once, whatever the interval, default 20,000. */
  maxUncommittedRecords?: number;
  /** Records processed between heartbeats within one batch, default 5000. */
  chunkSize?: number;
  sessionTimeoutMs?: number;
  /**
   * Static membership (Kafka's group.instance.id, KIP-345): an id stable across this process's
   * restarts and unique in the group (a Kubernetes pod's name). A restart with it takes back its
   * partitions at once, without a rebalance, instead of after the session timeout; a clean stop
   * still leaves the group. Unset: a dynamic member. Should another member join with the same id,
   * the broker fences this one, which then stops for good (InstanceFencedError to `onFatal`).
   */
  groupInstanceId?: string;
  /**
   * Called once when the app stopped for good (InstanceFencedError); it is already stopped. A
   * service exits so that its supervisor sees it fail; unset, the app stays stopped.
   */
  onFatal?: (error: StreamsError) => void;
  heartbeatIntervalMs?: number;
  maxBytesPerPartition?: number;
  registry?: Registry;
  /** Metric name prefix, e.g. the service name. */
  metricPrefix?: string;
  logger?: StreamsLogger;
  clock?: () => number;
  /** Cross-partition work done exactly once by the owner of a topic's partition 0 (see GlobalStage). */
  stages?: GlobalStage[];
  /** Delay before a failed task, stage or consumer is rebuilt: default 1 s doubling to 60 s, jittered. */
  restartBackoff?: RestartBackoffOptions;
  /** A partition with lag whose committed offset has not moved this long is stalled, default 60 s. */
  stallAfterMs?: number;
  /** Late and dead-letter records cut the original payload above this size, default 512 KiB. */
  maxPayloadBytes?: number;
  /** What a record that cannot be deserialised gets; default: dead-lettered at once. */
  deserializationHandler?: DeserializationExceptionHandler;
  /** What a record whose processing throws gets; default: maxRetries retries, then dead-lettered. */
  processingHandler?: ProcessingExceptionHandler;
  /** What an output record the broker refuses twice gets; default: replaced by a dead letter. */
  productionHandler?: ProductionExceptionHandler;
  /** Bytes per produce request of the outbox (the topics' max.message.bytes may lower it), default 1 MB. */
  maxRequestBytes?: number;
  /** How often the group's offsets go to Kafka as a hint for lag tools (runtime/offset-hints.ts), default 1 s. */
  offsetHintIntervalMs?: number;
  /**
   * Partitions whose fetched batches are processed at the same time (kafkajs
   * partitionsConsumedConcurrently), default 6. A partition's batches stay in order (one task, one
   * lock); what overlaps is one task's round trips (the dedupe's lookup before a batch, a commit
   * that backpressure waits for) with another task's processing. 1 processes one batch at a time.
   */
  partitionsConsumedConcurrently?: number;
  /**
   * Memory per task for the Bloom filter of the ids its dedupe store holds (core/dedupe-filter.ts),
   * e.g. 32 MiB (about 28 million ids). Ids the filter rules out skip the lookup; over the limit
   * the task looks every id up, as with 0 (no filter), the default: at 3,000 events/s with small
   * stores it spared every lookup but lowered nothing measurable, and with a store larger than
   * Postgres' shared buffers the commit's inserts then read the index pages the lookups used to,
   * so the alert's p99 grew (BENCHMARKS.md, "A filter of the stored ids" and "What a day-old dedupe
   * store costs").
   */
  dedupeFilterMaxBytes?: number;
  /**
   * A changed state key is written to `stream_state` once it has waited this long, with its latest
   * value; meanwhile each commit logs its changes as one row (runtime/state-changelog.ts), default
   * 30 s. 0: every commit writes its keys to `stream_state`, as before the log (BENCHMARKS.md,
   * "The state as a log"). Longer: fewer writes of keys that change often, more log to replay on
   * restore.
   */
  stateFlushIntervalMs?: number;
  /** Longest wait of a fetch for new records (kafkajs maxWaitTimeInMs), default 5 s. */
  fetchMaxWaitMs?: number;
  /** Without a completed fetch for this long the consumer is not reading and no partition may turn idle, default 3 × fetchMaxWaitMs. */
  fetchStaleMs?: number;
}

export type ResolvedOptions = Required<
  Omit<
    StreamsAppOptions,
    | 'lateTopic'
    | 'deadLetterTopic'
    | 'registry'
    | 'metricPrefix'
    | 'stages'
    | 'maxPayloadBytes'
    | 'maxRequestBytes'
    | 'groupInstanceId'
    | 'onFatal'
    | HandlerOptions
  >
> &
  Pick<
    StreamsAppOptions,
    | 'lateTopic'
    | 'deadLetterTopic'
    | 'stages'
    | 'maxPayloadBytes'
    | 'maxRequestBytes'
    | 'groupInstanceId'
    | 'onFatal'
    | HandlerOptions
  >;

type HandlerOptions = 'deserializationHandler' | 'processingHandler' | 'productionHandler';

export interface LiveTask {
  key: string;
  id: TaskIdentity;
  task: StreamTask;
  epoch: string;
  publisher: OutboxPublisher;
  /** The promise registered for this task in `tasks` (to tell it from a newer one). */
  handle?: Promise<LiveTask>;
  /** Serialises batches and punctuation of one task. */
  lock: Promise<unknown>;
  /** Outbox rows below this seq are known deleted from Postgres. */
  deletedBelow: number;
  /** The commit of the previous batch, still running while the next batch is processed. */
  inflight: Promise<void>;
  /** The next offset Postgres has: where the next commit's range starts. */
  committed: string | null;
  closed: boolean;
  /** The partition is going (closeTask): a failure now is not rebuilt, and a fenced one is the handover. */
  closing?: boolean;
  /** Date.now() when the last commit was taken (real time, whatever the clock option says). */
  lastCommitAt: number;
  /** A commit is scheduled (timer, or waiting for the previous commit): what is processed meanwhile joins it. */
  flushScheduled: boolean;
  flush?: NodeJS.Timeout;
  /** Date.now() at which the `flush` timer fires. */
  flushDue?: number;
  /** How commits write the task's state: logged, then written to stream_state (StateChangelog). */
  stateLog: StateChangelog;
}

/** The options with the runtime's defaults filled in. */
export function resolveOptions(options: StreamsAppOptions): ResolvedOptions {
  // Kafka Streams' commit.interval.ms under exactly-once; the one place this default is set.
  const commitIntervalMs = options.commitIntervalMs ?? 100;
  return {
    allowedLatenessMs: 120_000,
    idleTimeoutMs: 30_000,
    maxRetries: 2,
    punctuateIntervalMs: 1000,
    maxUncommittedRecords: 20_000,
    chunkSize: 5000,
    sessionTimeoutMs: 30_000,
    heartbeatIntervalMs: 3000,
    maxBytesPerPartition: 1_048_576,
    logger: silentLogger,
    clock: Date.now,
    restartBackoff: DEFAULT_RESTART_BACKOFF,
    stallAfterMs: 60_000,
    fetchMaxWaitMs: 5000,
    offsetHintIntervalMs: 1000,
    fetchStaleMs: 3 * (options.fetchMaxWaitMs ?? 5000),
    ...options,
    // Resolved after the spread: a caller passing undefined (an unset env) gets the default.
    partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 6,
    dedupeFilterMaxBytes: options.dedupeFilterMaxBytes ?? 0,
    stateFlushIntervalMs: options.stateFlushIntervalMs ?? 30_000,
    commitIntervalMs,
    outputCommitIntervalMs: Math.min(
      options.outputCommitIntervalMs ?? commitIntervalMs,
      commitIntervalMs,
    ),
  };
}

/** A task on claimed state, with the app's options. */
export function newTask(
  options: ResolvedOptions,
  id: TaskIdentity,
  claimed: TaskRestore,
): StreamTask {
  const taskOptions: TaskOptions = {
    applicationId: options.topology.applicationId,
    allowedLatenessMs: options.allowedLatenessMs,
    idleTimeoutMs: options.idleTimeoutMs,
    lateTopic: options.lateTopic,
    deadLetterTopic: options.deadLetterTopic,
    maxRetries: options.maxRetries,
    clock: options.clock,
    maxPayloadBytes: options.maxPayloadBytes,
    deserializationHandler: options.deserializationHandler,
    processingHandler: options.processingHandler,
    dedupeFilterMaxBytes: options.dedupeFilterMaxBytes,
  };
  return new StreamTask(options.topology, id.topic, id.partition, taskOptions, claimed);
}

/** The task's transactional outbox publisher; a dead-lettered output record is counted. */
export function newPublisher(
  options: ResolvedOptions,
  admin: Admin,
  id: TaskIdentity,
  deadLettered: () => Counter<string>,
): OutboxPublisher {
  const labels = partitionLabels(options.topology.applicationId, id);
  return new OutboxPublisher(options.kafka, admin, id, {
    deadLetterTopic: options.deadLetterTopic,
    maxRequestBytes: options.maxRequestBytes,
    productionHandler: options.productionHandler,
    logger: options.logger,
    onRejected: () => deadLettered().inc(labels),
  });
}
