import {
  expectedFrom,
  makeEvents,
  produceEvents,
  readWholeTopic,
  setupCounterRun,
  spawnProcessor,
  totalsFromTable,
  waitForOutboxDrained,
  waitForProgress,
  windowsFromTopic,
} from './harness';
import { waitFor } from '../../support/wait-for';

const EVENTS = 60_000;
const PARTITIONS = 6;

describe('rebalancing', () => {
  let run: Awaited<ReturnType<typeof setupCounterRun>>;

  beforeAll(async () => {
    run = await setupCounterRun('rebalance', PARTITIONS);
  });

  afterAll(() => run.cleanup());

  it('two instances, one SIGKILLed, a third joining: the same results as one instance', async () => {
    const { kafka, pool, appId, topics } = run;
    const env = { ...run.env, SESSION_TIMEOUT_MS: '6000' };
    const events = makeEvents(EVENTS, 300, 7);
    const expected = expectedFrom(events);
    const a = spawnProcessor(env);
    const b = spawnProcessor(env);
    // Both own partitions before any input arrives.
    await Promise.all(
      [a, b].map((p) =>
        waitFor(() => p.log().includes('ready'), { timeoutMs: 60_000, what: 'processor ready' }),
      ),
    );
    await produceEvents(kafka, topics.input, events, PARTITIONS);
    const total = EVENTS + PARTITIONS;

    await waitForProgress(pool, appId, Math.floor(total * 0.3), [a, b]);
    await a.kill('SIGKILL');
    await waitForProgress(pool, appId, Math.floor(total * 0.6), [b]);
    const c = spawnProcessor(env);
    await waitForProgress(pool, appId, total, [b, c]);
    await waitForOutboxDrained(pool, appId);
    await Promise.all([b.kill('SIGTERM'), c.kill('SIGTERM')]);

    const windows = windowsFromTopic(await readWholeTopic(kafka, topics.output, PARTITIONS));
    expect(windows).toEqual(expected.windows);
    expect(await totalsFromTable(pool, appId)).toEqual(expected.totals);
  });
});
