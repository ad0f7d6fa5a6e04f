import {
  finishTransaction,
  FinishOptions,
  KafkaOutcomeUnknownError,
  KafkaUnavailableError,
  TransactionCalls,
} from './kafka-transaction';

/** An error as node-rdkafka reports one from its transactional API. */
const txnError = (message: string, flags: Record<string, boolean>) =>
  Object.assign(new Error(message), { isFatal: false, isRetriable: false, ...flags });
const timedOut = () => txnError('Local: Timed out', { isRetriable: true });

/**
 * Scripted librdkafka calls: each commit takes the next outcome (an error or ok) and as much clock
 * as the timeout it was given (a commit that times out waits that long).
 */
function script(commits: Array<Error | 'ok'>, flushError?: Error, abortError?: Error) {
  const log: string[] = [];
  const commitTimeouts: number[] = [];
  const abortFailures: string[] = [];
  let clock = 0;
  const calls: TransactionCalls = {
    flush: async () => {
      log.push('flush');
      if (flushError) throw flushError;
    },
    commit: async (timeoutMs) => {
      log.push('commit');
      commitTimeouts.push(timeoutMs);
      clock += timeoutMs;
      const next = commits.shift() ?? 'ok';
      if (next !== 'ok') throw next;
    },
    abort: async () => {
      log.push('abort');
      if (abortError) throw abortError;
    },
  };
  const retries: number[] = [];
  const options: FinishOptions = {
    attemptTimeoutMs: 1000,
    deadlineMs: 3500,
    delayMs: () => 0,
    onRetry: (attempt) => retries.push(attempt),
    onAbortFailed: (err) => abortFailures.push(err.message),
    now: () => clock,
  };
  return { calls, options, log, retries, commitTimeouts, abortFailures };
}

describe('finishTransaction: says truthfully what became of a transaction', () => {
  it('a commit that timed out is retried, not aborted: it goes on in the background and commits', async () => {
    const s = script([timedOut(), timedOut(), 'ok']);
    await expect(finishTransaction(s.calls, s.options)).resolves.toBeUndefined();
    expect(s.log).toEqual(['flush', 'commit', 'commit', 'commit']);
    expect(s.retries).toEqual([1, 2]);
  });

  it('a flush that timed out is aborted: the commit was never sent, so nothing was accepted', async () => {
    const s = script([], timedOut());
    const err = await finishTransaction(s.calls, s.options).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KafkaUnavailableError);
    expect(s.log).toEqual(['flush', 'abort']);
  });

  it('an abortable commit error is aborted and reported as not accepted', async () => {
    const s = script([txnError('Broker: Message too large', { isTxnRequiresAbort: true })]);
    const err = await finishTransaction(s.calls, s.options).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KafkaUnavailableError);
    expect(s.log).toEqual(['flush', 'commit', 'abort']);
  });

  it('a fatal commit error (fenced) is not accepted and not retried', async () => {
    const s = script([txnError('Broker: Producer fenced', { isFatal: true })]);
    const err = await finishTransaction(s.calls, s.options).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KafkaUnavailableError);
    expect(s.log).toEqual(['flush', 'commit']);
  });

  it('a commit still unanswered at the deadline is reported as unknown, never as not accepted', async () => {
    const s = script([timedOut(), timedOut(), timedOut(), timedOut(), timedOut()]);
    const err = await finishTransaction(s.calls, s.options).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KafkaOutcomeUnknownError);
    // The last attempt gets only what is left of the deadline, so the answer is not one attempt late.
    expect(err).toMatchObject({ code: 'KAFKA_OUTCOME_UNKNOWN', attempts: 4, elapsedMs: 3500 });
    expect(s.commitTimeouts).toEqual([1000, 1000, 1000, 500]);
    expect(s.log).not.toContain('abort');
    expect(s.retries).toEqual([1, 2, 3]);
  });

  it('a commit error librdkafka does not classify is unknown, not retried', async () => {
    const s = script([txnError('Local: Erroneous state', {})]);
    const err = await finishTransaction(s.calls, s.options).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KafkaOutcomeUnknownError);
    expect(s.log).toEqual(['flush', 'commit']);
  });

  it('an abort that fails is reported with its reason, and the batch is still not accepted', async () => {
    const s = script([], timedOut(), txnError('Local: Conflicting commit_transaction call', {}));
    const err = await finishTransaction(s.calls, s.options).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KafkaUnavailableError);
    expect(s.abortFailures).toEqual(['Local: Conflicting commit_transaction call']);
  });
});
