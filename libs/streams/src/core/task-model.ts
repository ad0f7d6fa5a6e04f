/** The shapes a StreamTask takes and gives: its input records, options, restore and commit. */
import { StreamsError } from './errors';
import { DedupeCommit, RecordHeaders } from './dedupe';
import { DeserializationExceptionHandler, ProcessingExceptionHandler } from './exception-handlers';
import { OutboxMessage, TableWrite } from './record-collector';
import { WatermarkState } from './watermark';

/** A consumed record as it came off the topic. */
export interface RawRecord {
  key: Buffer | null;
  value: Buffer | null;
  offset: string;
  /** The record's Kafka headers, as the consumer decoded them; none when absent. */
  headers?: RecordHeaders;
}

export interface TaskOptions {
  applicationId: string;
  allowedLatenessMs: number;
  idleTimeoutMs: number;
  /** Where late records go (SPEC §4); none when unset. */
  lateTopic?: string;
  /** Where poison records go after bounded retries (SPEC §9). */
  deadLetterTopic?: string;
  /** Attempts after the first before a record is dead-lettered. */
  maxRetries: number;
  clock: () => number;
  /**
   * Late and dead-letter records carry the original payload up to this many bytes (UTF-8); a larger
   * one is cut, keeping its size and SHA-256, so the record stays under the broker's message limit.
   * Default 512 KiB.
   */
  maxPayloadBytes?: number;
  /** What a record that cannot be deserialised gets; default: dead-lettered at once. */
  deserializationHandler?: DeserializationExceptionHandler;
  /** What a record whose processing throws gets; default: maxRetries retries, then dead-lettered. */
  processingHandler?: ProcessingExceptionHandler;
  /** Memory for the source dedupe's filter of stored ids (core/dedupe-filter.ts); none when unset. */
  dedupeFilterMaxBytes?: number;
}

/** A record the runtime isolated as one that cannot be stored or published: dead-lettered, not processed. */
export interface QuarantinedRecord {
  reason: string;
  message: string;
}

/** One dead-lettered record of a commit, for the runtime's log line. */
export interface DeadLetterNote {
  offset: string;
  reason: string;
  message: string;
}

export interface TaskRestore {
  stores: Map<string, Array<[string, unknown]>>;
  watermark: WatermarkState | null;
  /** Next offset to consume; null when the partition was never consumed. */
  nextOffset: string | null;
  nextSeq: number;
}

/** Everything a task changed since its last commit: written in one Postgres transaction. */
export interface TaskCommit {
  nextOffset: string | null;
  nextSeq: number;
  watermark: WatermarkState;
  storeChanges: Map<string, Map<string, unknown>>;
  tableWrites: TableWrite[];
  outbox: OutboxMessage[];
  processed: number;
  late: number;
  deadLettered: number;
  /** Records dropped as repeats of an id seen before (the source's dedupe); absent: 0. */
  duplicates?: number;
  deadLetters: DeadLetterNote[];
  /** Ids to remember and forget (the source's dedupe); absent or null when the source has none. */
  dedupe?: DedupeCommit | null;
  /** Oldest event time accepted (not late) since the last commit; null when none. */
  minAcceptedTime: number | null;
}

/** A task that cannot run as configured, or a record an exception handler answered `fail` for. */
export class TaskError extends StreamsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'TASK_FAILED', false, options);
  }
}
