/**
 * Pluggable handling of records that fail, as Kafka Streams' exception handlers: the task asks the
 * handler, the handler answers. `fail` stops the task (the runtime rebuilds it from Postgres after
 * a backoff); `dead_letter` sends the record to the dead-letter topic with its reason and goes on.
 * The defaults never stop a partition on one record.
 */

/** The record a handler is asked about. */
export interface FailedRecordContext {
  processor: string;
  topic: string;
  partition: number;
  offset: string;
}

/** A record whose key or value cannot be deserialised (Kafka Streams' DeserializationExceptionHandler). */
export interface DeserializationExceptionHandler {
  handle(context: FailedRecordContext, error: Error): 'dead_letter' | 'fail';
}

/**
 * A record whose processing threw, asked after each failed attempt (Kafka Streams'
 * ProcessingExceptionHandler). A retry runs the record again from the state before it.
 */
export interface ProcessingExceptionHandler {
  handle(
    context: FailedRecordContext & { attempts: number },
    error: unknown,
  ): 'retry' | 'dead_letter' | 'fail';
}

/**
 * An output record the broker refused twice in the same way (over max.message.bytes, invalid), as
 * Kafka Streams' ProductionExceptionHandler. Transient failures are retried by the runtime and never
 * reach the handler.
 */
export interface ProductionExceptionHandler {
  handle(
    context: {
      processor: string;
      topic: string;
      partition: number;
      targetTopic: string;
      seq: number;
    },
    error: { code: string; message: string },
  ): 'dead_letter' | 'fail';
}

/** Default: the refused record is replaced by a dead letter naming the broker's reason. */
export const deadLetterRefusedOutput: ProductionExceptionHandler = { handle: () => 'dead_letter' };

/** Default: a value that cannot be parsed never will be; dead-letter it at once. */
export const deadLetterUndeserializable: DeserializationExceptionHandler = {
  handle: () => 'dead_letter',
};

/**
 * Default: retries a failing record `maxRetries` times, then dead-letters it. An error that says it
 * is not retriable (`retriable: false`, as PoisonError and kafkajs' errors say) is dead-lettered at
 * once: running the same record again from the same state fails the same way.
 */
export function retryThenDeadLetter(maxRetries: number): ProcessingExceptionHandler {
  return {
    handle: ({ attempts }, error) =>
      attempts <= maxRetries && !isNotRetriable(error) ? 'retry' : 'dead_letter',
  };
}

const isNotRetriable = (error: unknown): boolean =>
  typeof error === 'object' &&
  error !== null &&
  (error as { retriable?: unknown }).retriable === false;

/** Stops the task on any failing record (Kafka Streams' LogAndFail): for pipelines that must not skip. */
export const failOnError: DeserializationExceptionHandler &
  ProcessingExceptionHandler &
  ProductionExceptionHandler = {
  handle: () => 'fail',
};
