/**
 * The runtime's internals, for the library's own benches and fault tests: the task, its Postgres
 * repository and the pieces the app composes. Not a stable API; services use `@clickstream/streams`.
 */
export * from './core/task';
export * from './core/record-collector';
export * from './core/error-records';
export * from './core/dedupe';
export * from './core/watermark';
export * from './core/global-watermark';
export * from './core/min-heap';
export * from './core/topology';
export * from './runtime/task-repository';
export * from './runtime/task-supervisor';
export * from './runtime/failure';
export * from './runtime/idle-gate';
export * from './runtime/stall-monitor';
export * from './runtime/metrics';
export { GlobalStageRunner } from './runtime/global-stage';
export { chunkBySize } from './runtime/outbox-publisher';
export { storedStateValue } from './runtime/commit-sql';
export {
  int4ArrayParam,
  int8ArrayParam,
  readTextArrayParam,
  textArrayParam,
} from './runtime/pg-array-param';
export { replayStateLog, StateChangelog } from './runtime/state-changelog';
export { decodeStateLog } from './runtime/state-log-codec';
