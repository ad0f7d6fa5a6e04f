import { Producer } from 'node-rdkafka';
import {
  finishTransaction,
  KafkaOutcomeUnknownError,
  librdkafkaCall as call,
  transactionCalls,
} from '../../../services/ingest/src/events/kafka-transaction';
import {
  createTopic,
  deleteTopics,
  readWholeTopic,
  testBrokers,
  testKafka,
  uniqueName,
} from '../../support/kafka';
import { freezeBroker, localBrokerPid } from './ingest-harness';

/*
 * The commit request (EndTxn) of a real transaction goes to a frozen broker (SIGSTOP), so its answer
 * does not come within the attempt's timeout: the one case ingest cannot see from outside. The broker
 * is thawed at the first retry. ingest's finishTransaction must retry the commit (librdkafka goes on
 * with it in the background) and report it committed, and every message must be on the topic once.
 * With the old handling (abort and answer 503 on any commit error) the same transaction is committed
 * all the same, after ingest has told its client that nothing was accepted.
 */

const PARTITIONS = 3;
const MESSAGES = 300;
const ATTEMPT_MS = 2_000;

describe('a commit whose answer is lost (broker frozen at EndTxn)', () => {
  const topic = uniqueName('commit-resume');
  let producer: Producer | undefined;
  const pid = localBrokerPid;

  beforeAll(async () => {
    localBrokerPid(); // refuses an external broker before anything starts
    await createTopic(testKafka(), topic, PARTITIONS);
    producer = await transactionalProducer(uniqueName('commit-resume-txn'));
  });

  afterAll(async () => {
    process.kill(pid(), 'SIGCONT'); // whatever happened, leave a running broker
    const p = producer;
    if (p?.isConnected()) await new Promise<void>((r) => p.disconnect(5_000, () => r()));
    await deleteTopics(testKafka(), [topic]).catch(() => undefined);
  });

  it('is retried until the thawed broker answers, and reported committed; each message is on the topic once', async () => {
    const p = producer!;
    await call((cb) => p.beginTransaction(cb));
    for (let i = 0; i < MESSAGES; i++) p.produce(topic, null, Buffer.from(`m-${i}`), `k-${i % 31}`);

    const commits: string[] = [];
    let frozen = false;
    const retries: number[] = [];
    const real = transactionCalls(p);
    const outcome = await finishTransaction(
      {
        flush: real.flush,
        commit: async (ms) => {
          if (commits.length === 0) {
            frozen = true;
            await freezeBroker(pid()); // every message is acknowledged: EndTxn goes next
          }
          try {
            await real.commit(ms);
            commits.push('ok');
          } catch (err) {
            commits.push((err as Error).message);
            throw err;
          }
        },
        abort: async () => {
          throw new Error('a commit in doubt must not be aborted');
        },
      },
      {
        attemptTimeoutMs: ATTEMPT_MS,
        deadlineMs: 60_000,
        delayMs: () => 100,
        onRetry: (attempt) => {
          retries.push(attempt);
          if (frozen) process.kill(pid(), 'SIGCONT');
          frozen = false;
        },
      },
    ).then(
      () => 'committed',
      (err: unknown) => (err instanceof KafkaOutcomeUnknownError ? 'unknown' : String(err)),
    );

    expect({ outcome, firstCommit: commits[0], lastCommit: commits.at(-1) }).toEqual({
      outcome: 'committed',
      firstCommit: expect.stringMatching(/time/i),
      lastCommit: 'ok',
    });
    expect(retries.length).toBeGreaterThanOrEqual(1);
    const values = (await readWholeTopic(testKafka(), topic, PARTITIONS)).map((r) => r.value);
    expect(values.length).toBe(MESSAGES);
    expect(new Set(values).size).toBe(MESSAGES);
  }, 120_000);

  // Why a commit in doubt must not be aborted: the old handling, replayed on a second topic.
  it('cannot be aborted, and a new producer completes it: the old 503 was a lie', async () => {
    const oldTopic = uniqueName('commit-resume-old');
    await createTopic(testKafka(), oldTopic, PARTITIONS);
    const txnId = uniqueName('commit-resume-old-txn');
    const old = await transactionalProducer(txnId);
    await call((cb) => old.beginTransaction(cb));
    for (let i = 0; i < MESSAGES; i++) old.produce(oldTopic, null, Buffer.from(`m-${i}`), `k-${i}`);
    await call((cb) => old.flush(ATTEMPT_MS, cb));
    let abort: string;
    try {
      await freezeBroker(pid());
      await expect(call((cb) => old.commitTransaction(ATTEMPT_MS, cb))).rejects.toThrow(/time/i);
      abort = await call((cb) => old.abortTransaction(ATTEMPT_MS, cb)).then(
        () => 'aborted',
        (err: Error) => err.message,
      );
      await new Promise<void>((r) => old.disconnect(ATTEMPT_MS, () => r()));
    } finally {
      process.kill(pid(), 'SIGCONT');
    }
    // Here the old ingest answered 503; its next flush started a producer with the same id.
    const next = await transactionalProducer(txnId);
    await new Promise<void>((r) => next.disconnect(ATTEMPT_MS, () => r()));
    const values = (await readWholeTopic(testKafka(), oldTopic, PARTITIONS)).map((r) => r.value);
    await deleteTopics(testKafka(), [oldTopic]).catch(() => undefined);
    expect({ abort, visible: values.length }).toEqual({
      abort: expect.stringMatching(/conflicting commit_transaction/i),
      visible: MESSAGES,
    });
  }, 120_000);
});

async function transactionalProducer(transactionalId: string): Promise<Producer> {
  const p = new Producer({
    'metadata.broker.list': testBrokers(),
    'transactional.id': transactionalId,
    'enable.idempotence': true,
    dr_cb: false,
  });
  await new Promise<void>((resolve, reject) =>
    p.connect({ timeout: 10_000 }, (err) => (err ? reject(err) : resolve())),
  );
  await call((cb) => p.initTransactions(20_000, cb));
  return p;
}
