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

/** Scripted librdkafka calls: each commit takes the next outcome (an error or ok), 1 s of clock. */
function script(commits: Array<Error | 'ok'>, flushError?: Error) {
  const log: string[] = [];
  let clock = 0;
  const calls: TransactionCalls = {
    flush: async () => {
      log.push('flush');
      if (flushError) throw flushError;
    },
    commit: async () => {
      log.push('commit');
      clock += 1000;
      const next = commits.shift() ?? 'ok';
      if (next !== 'ok') throw next;
    },
    abort: async () => {
      log.push('abort');
    },
  };
  const retries: number[] = [];
  const options: FinishOptions = {
    attemptTimeoutMs: 1000,
    deadlineMs: 3500,
    delayMs: () => 0,
    onRetry: (attempt) => retries.push(attempt),
    now: () => clock,
  };
  return { calls, options, log, retries };
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
    expect(err).toMatchObject({ code: 'KAFKA_OUTCOME_UNKNOWN', attempts: 4, elapsedMs: 4000 });
    expect(s.log).not.toContain('abort');
    expect(s.retries).toEqual([1, 2, 3]);
  });

  it('a commit error librdkafka does not classify is unknown, not retried', async () => {
    const s = script([txnError('Local: Erroneous state', {})]);
    const err = await finishTransaction(s.calls, s.options).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KafkaOutcomeUnknownError);
    expect(s.log).toEqual(['flush', 'commit']);
  });
});
