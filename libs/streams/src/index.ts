/**
 * The public API of @clickstream/streams: what a processor needs to declare a topology, run it and
 * wire it into Nest. The runtime's internals are in `@clickstream/streams/internals` (for the
 * library's own benches and fault tests), the test driver in `@clickstream/streams/testing`; lint
 * keeps services off both (see .dependency-cruiser.cjs).
 */
export { PoisonError, StateEncodingError, StreamsError } from './core/errors';
export { SerdeError, Serdes } from './core/serde';
export type { Serde } from './core/serde';
export { HoppingWindows, TumblingWindows, alignDown, windowsFor } from './core/windows';
export type { TimeWindow, WindowSpec } from './core/windows';
export { KeyValueStore } from './core/store';
export {
  ByteFormatError,
  ByteReader,
  ByteWriter,
  readStateHeader,
  writeStateHeader,
} from './core/byte-codec';
export type { BinaryCodec, BinaryRunCodec } from './core/byte-codec';
export { BinaryHeap } from './core/binary-heap';
export { MinHeap } from './core/min-heap';
export { mix32 } from './core/hash';
export type { NodeDefinition, NodeInstance, ProcessorContext, Rec } from './core/processor';
export { KStream, TopologyBuilder, TopologyError, mergeTableRow } from './core/topology';
export type {
  ColumnTypes,
  SinkDefinition,
  SinkPosition,
  SourceDefinition,
  TableSinkDefinition,
  TopicSinkDefinition,
  Topology,
} from './core/topology';
export type { DedupeDefinition, RecordHeaders } from './core/dedupe';
export {
  deadLetterRefusedOutput,
  deadLetterUndeserializable,
  failOnError,
  retryThenDeadLetter,
} from './core/exception-handlers';
export type {
  DeserializationExceptionHandler,
  FailedRecordContext,
  ProcessingExceptionHandler,
  ProductionExceptionHandler,
} from './core/exception-handlers';
export { StateFormatError } from './core/operators/session-aggregate';
export type {
  SessionAggregateOptions,
  SessionBytesCodec,
  SessionResult,
  TailCodec,
} from './core/operators/session-aggregate';
export type { WindowedAggregateOptions, WindowedResult } from './core/operators/windowed-aggregate';
export { StreamsApp } from './runtime/streams-app';
export type { StreamsAppOptions } from './runtime/streams-app-options';
export { InstanceFencedError, TaskFencedError, WatermarkFloorMovedError } from './runtime/errors';
export type {
  GlobalStage,
  GlobalStageContext,
  GlobalStageDueContext,
  StageMessage,
} from './runtime/global-stage';
export { OutboxPublisher } from './runtime/outbox-publisher';
export type { OutboxPublisherOptions } from './runtime/outbox-publisher';
export { DEFAULT_RESTART_BACKOFF, backoffMs, restartDelayMs, sleep } from './runtime/backoff';
export type { RestartBackoffOptions } from './runtime/backoff';
export { withClient } from './runtime/pg-client';
export { OperationTimeoutError, withTimeout } from './runtime/timeout';
export { silentLogger } from './runtime/logger';
export type { StreamsLogger } from './runtime/logger';
export {
  STREAMS_BYTE_KEYS_DOWN,
  STREAMS_BYTE_KEYS_UP,
  STREAMS_DEDUPE_DOWN,
  STREAMS_DEDUPE_UP,
  STREAMS_SCHEMA_DOWN,
  STREAMS_SCHEMA_UP,
  STREAMS_STATE_BYTEA_DOWN,
  STREAMS_STATE_BYTEA_UP,
  STREAMS_STATE_LOG_DOWN,
  STREAMS_STATE_LOG_UP,
  textCollationSql,
} from './runtime/schema';
export * from './nest/streams.module';
