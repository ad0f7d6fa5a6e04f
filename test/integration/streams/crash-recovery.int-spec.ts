import { committedState } from '../../support/task-state';
import {
  expectedFrom,
  makeEvents,
  produceEvents,
  Proc,
  readWholeTopic,
  setupCounterRun,
  spawnProcessor,
  totalsFromTable,
  waitForOutboxDrained,
  waitForProgress,
  windowsFromTopic,
} from './harness';

const EVENTS = 200_000;
const PARTITIONS = 6;

describe('exactly-once under SIGKILL', () => {
  let run: Awaited<ReturnType<typeof setupCounterRun>>;

  beforeAll(async () => {
    run = await setupCounterRun('crash', PARTITIONS);
  });

  afterAll(() => run.cleanup());

  it('SIGKILLed three times over 200k keyed events: no event lost, none counted twice, no duplicate output', async () => {
    const { kafka, pool, appId, topics } = run;
    // Keys reach stream_state 250 ms after they change, so each kill lands between flushes and
    // deletions of the state log, and every restore replays a log over rows flushed before it.
    const env = { ...run.env, STATE_FLUSH_INTERVAL_MS: '250' };
    const stateRows = async () =>
      (
        await pool.query<{ base: string; log: string }>(
          `SELECT (SELECT count(*) FROM stream_state WHERE app_id = $1) AS base,
                  (SELECT count(*) FROM stream_state_log WHERE app_id = $1) AS log`,
          [appId],
        )
      ).rows[0];
    const atKills: Array<{ base: string; log: string }> = [];
    const events = makeEvents(EVENTS, 500, 42);
    const expected = expectedFrom(events);
    await produceEvents(kafka, topics.input, events, PARTITIONS);
    const total = EVENTS + PARTITIONS; // plus the sentinels

    const kills: number[] = [];
    const started = Date.now();
    let proc: Proc = spawnProcessor(env);
    const minGap = Math.ceil(total * 0.2);
    for (const fraction of [0.2, 0.45, 0.7]) {
      // A commit can move progress by many thousands at once, so each kill waits for its fraction and
      // for a full gap past the progress seen at the previous kill: the spacing holds by construction.
      const previous = kills.length ? kills[kills.length - 1] : -minGap;
      kills.push(
        await waitForProgress(
          pool,
          appId,
          Math.max(Math.floor(total * fraction), previous + minGap),
          [proc],
        ),
      );
      await proc.kill('SIGKILL');
      atKills.push(await stateRows());
      proc = spawnProcessor(env);
    }
    await waitForProgress(pool, appId, total, [proc]);
    await waitForOutboxDrained(pool, appId);
    await proc.kill('SIGTERM');
    console.log(
      `crash test: ${total} records, kills at ${kills.join(', ')}, done in ${Date.now() - started} ms`,
    );

    // Each kill happened mid-stream, at least 20 % apart.
    expect(kills[0]).toBeLessThan(total);
    for (let i = 1; i < kills.length; i++)
      expect(kills[i] - kills[i - 1]).toBeGreaterThanOrEqual(minGap);
    expect(kills[kills.length - 1]).toBeLessThan(total);

    const windows = windowsFromTopic(await readWholeTopic(kafka, topics.output, PARTITIONS));
    expect(windows.size).toBe(expected.windows.size);
    expect(windows).toEqual(expected.windows);
    expect(await totalsFromTable(pool, appId)).toEqual(expected.totals);

    // Bounded state: closed windows are evicted; only the per-user totals remain.
    const byStore: Record<string, number> = {};
    for (const row of await committedState(pool, appId))
      byStore[row.store] = (byStore[row.store] ?? 0) + 1;
    expect(byStore['counter-window-1m-store'] ?? 0).toBe(0);
    expect(byStore['counter-totals-store']).toBe(expected.totals.size);
    // The restores read both: keys already in stream_state and a log of changes over them.
    expect(atKills.some((at) => Number(at.base) > 0 && Number(at.log) > 0)).toBe(true);
  });
});
