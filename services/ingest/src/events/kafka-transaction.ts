import type { LibrdKafkaError, Producer } from 'node-rdkafka';
import { ClickstreamError } from '@clickstream/platform';

/** Kafka did not take the batch; nothing of it is visible to read_committed consumers. */
export class KafkaUnavailableError extends ClickstreamError {
  constructor(cause: unknown) {
    super(
      `Kafka unavailable: ${(cause as Error)?.message ?? String(cause)}`,
      'KAFKA_UNAVAILABLE',
      true,
      { cause },
    );
  }
}

/**
 * The commit was sent and Kafka did not say, within the deadline, whether it took it: the batch is
 * on the topic entirely or not at all. A client may send it again with the same event_ids (the
 * idempotency key), which the processors count once.
 */
export class KafkaOutcomeUnknownError extends ClickstreamError {
  constructor(
    cause: unknown,
    readonly attempts: number,
    readonly elapsedMs: number,
  ) {
    super(
      `Kafka did not confirm the commit within ${elapsedMs} ms (${attempts} attempts): ${(cause as Error)?.message ?? String(cause)}`,
      'KAFKA_OUTCOME_UNKNOWN',
      true,
      { cause },
    );
  }
}

/** What librdkafka says about an error of its transactional API (node-rdkafka's LibrdKafkaError). */
interface TxnErrorFlags {
  isFatal?: boolean;
  isRetriable?: boolean;
  isTxnRequiresAbort?: boolean;
}

/** The shortest commit attempt: a last one near the deadline still gives the coordinator time to answer. */
const MIN_ATTEMPT_MS = 500;

/** The transactional calls that end one flush (node-rdkafka's, as promises). */
export interface TransactionCalls {
  /** Waits until every produced message is acknowledged (rd_kafka_flush). */
  flush(timeoutMs: number): Promise<void>;
  commit(timeoutMs: number): Promise<void>;
  abort(timeoutMs: number): Promise<void>;
}

/** One node-rdkafka call that answers through a callback, as a promise. */
export const librdkafkaCall = (
  fn: (cb: (err: LibrdKafkaError | null | undefined) => void) => void,
): Promise<void> => new Promise((resolve, reject) => fn((err) => (err ? reject(err) : resolve())));

/** A transactional producer's calls that end one flush. */
export function transactionCalls(producer: Producer): TransactionCalls {
  return {
    flush: (ms) => librdkafkaCall((cb) => producer.flush(ms, cb)),
    commit: (ms) => librdkafkaCall((cb) => producer.commitTransaction(ms, cb)),
    abort: (ms) => librdkafkaCall((cb) => producer.abortTransaction(ms, cb)),
  };
}

export interface FinishOptions {
  /** The longest one librdkafka call may block. */
  attemptTimeoutMs: number;
  /** How long an unanswered commit is retried before its outcome counts as unknown. */
  deadlineMs: number;
  /** Called before each retry of a commit that timed out (to log and count it). */
  onRetry(attempt: number, err: Error, elapsedMs: number): void;
  /** Called when an abort fails; the next producer's initTransactions aborts what it left. */
  onAbortFailed?(err: Error): void;
  /** The pause before retry `attempt` (capped backoff with jitter). */
  delayMs(attempt: number): number;
  now?: () => number;
}

/**
 * Ends a transaction whose messages are produced, and says truthfully what became of it:
 * - resolves when it is committed;
 * - throws KafkaUnavailableError when it surely is not (so a 503 "nothing accepted" is true);
 * - throws KafkaOutcomeUnknownError when the commit request may have reached the coordinator.
 *
 * Until every message is acknowledged, the commit request (EndTxn) is not sent, so a flush that
 * times out can be aborted safely. Once the commit is under way it continues in librdkafka's
 * background even after the call times out (rdkafka.h: "this is a retriable error as the commit
 * continues in the background"), so an abort or a fresh producer then would answer 503 for a batch
 * the broker may still commit. That is retried instead, as librdkafka documents.
 */
export async function finishTransaction(calls: TransactionCalls, o: FinishOptions): Promise<void> {
  const now = o.now ?? Date.now;
  try {
    await calls.flush(o.attemptTimeoutMs);
  } catch (err) {
    await abortQuietly(calls, o);
    throw new KafkaUnavailableError(err);
  }
  const started = now();
  for (let attempt = 1; ; attempt++) {
    try {
      // The last attempt ends near the deadline, not one whole attempt after it.
      const remainingMs = o.deadlineMs - (now() - started);
      await calls.commit(Math.min(o.attemptTimeoutMs, Math.max(remainingMs, MIN_ATTEMPT_MS)));
      return;
    } catch (err) {
      const flags = err as TxnErrorFlags;
      if (flags.isTxnRequiresAbort) {
        await abortQuietly(calls, o);
        throw new KafkaUnavailableError(err);
      }
      // Fatal: the coordinator refused this producer (fenced, unauthorised); it committed nothing.
      if (flags.isFatal) throw new KafkaUnavailableError(err);
      const elapsedMs = now() - started;
      if (!flags.isRetriable || elapsedMs >= o.deadlineMs)
        throw new KafkaOutcomeUnknownError(err, attempt, elapsedMs);
      o.onRetry(attempt, err as Error, elapsedMs);
      const pause = Math.min(o.delayMs(attempt), Math.max(0, o.deadlineMs - elapsedMs));
      await new Promise((r) => setTimeout(r, pause));
    }
  }
}

/** An abort that fails leaves the transaction to the next producer's initTransactions (it aborts). */
async function abortQuietly(calls: TransactionCalls, o: FinishOptions): Promise<void> {
  await calls.abort(o.attemptTimeoutMs).catch((err) => o.onAbortFailed?.(err as Error));
}
