import { Pool } from 'pg';
import { Registry } from 'prom-client';
import {
  BASE_TS,
  counterApp,
  dedupeLookupIds,
  expectedFrom,
  poolWithQuery,
  produceEvents,
  progress,
  setupCounterRun,
  totalsFromTable,
} from './harness';
import { CountEvent } from './counter-topology';
import { waitFor } from '../../support/wait-for';

const PARTITIONS = 3;
const EVENTS = 300;
/** Every dedupe lookup is held back this long: a database slower than the batch's processing. */
const LOOKUP_DELAY_MS = 300;

/**
 * The app's pool, with the dedupe's lookups slowed down and their spans noted; every other
 * statement and method goes to the real pool.
 */
function slowLookupPool(pool: Pool): { pool: Pool; spans: Array<[number, number]> } {
  const spans: Array<[number, number]> = [];
  const query = async (text: unknown, params?: unknown[]) => {
    if (dedupeLookupIds(text, params) === null) return pool.query(text as string, params);
    const start = Date.now();
    await new Promise((resolve) => setTimeout(resolve, LOOKUP_DELAY_MS));
    const result = await pool.query(text as string, params);
    spans.push([start, Date.now()]);
    return result;
  };
  return { pool: poolWithQuery(pool, query), spans };
}

/** The most lookups that were running at the same moment. */
function mostAtOnce(spans: Array<[number, number]>): number {
  const edges = spans.flatMap(([from, to]): Array<[number, number]> => [
    [from, 1],
    [to, -1],
  ]);
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let most = 0;
  for (const [, step] of edges) most = Math.max(most, (now += step));
  return most;
}

/**
 * partitionsConsumedConcurrently: the batches of one fetch belong to several partitions, and a
 * task waits on Postgres before it processes one (the dedupe's lookup). With the runtime's
 * default those waits overlap across partitions; with 1 they queue behind each other, so on a
 * loaded database every partition waits for the sum of them (bench:e2e, BENCHMARKS.md
 * 2026-12-05 evening). Both runs must count every record exactly once.
 */
describe('concurrent partitions', () => {
  const events: CountEvent[] = Array.from({ length: EVENTS }, (_, i) => ({
    user: `u${i % 30}`,
    ts: BASE_TS + i * 100,
    n: (i % 5) + 1,
    id: `e${i}`,
  }));

  async function runWith(concurrency: number | undefined) {
    const run = await setupCounterRun('concurrent', PARTITIONS);
    const slow = slowLookupPool(run.pool);
    const app = counterApp(run, new Registry(), {
      dedupeHorizonMs: 3_600_000,
      // No filter (the default, pinned here): every batch's ids are looked up.
      dedupeFilterMaxBytes: 0,
      pool: slow.pool,
      partitionsConsumedConcurrently: concurrency,
    });
    try {
      // Every event and the sentinels are on the broker before the app starts: its first fetch
      // holds a batch of every partition.
      await produceEvents(run.kafka, run.topics.input, events, PARTITIONS);
      await app.start();
      await waitFor(async () => (await progress(run.pool, run.appId)) >= EVENTS + PARTITIONS, {
        timeoutMs: 60_000,
        what: `${run.appId} committed every record`,
      });
      const totals = await totalsFromTable(run.pool, run.appId);
      return { atOnce: mostAtOnce(slow.spans), lookups: slow.spans.length, totals };
    } finally {
      await app.stop();
      await run.cleanup();
    }
  }

  it('overlaps the lookups of different partitions by default, with exact results', async () => {
    const { atOnce, lookups, totals } = await runWith(undefined);
    expect(lookups).toBeGreaterThanOrEqual(PARTITIONS);
    expect(atOnce).toBeGreaterThanOrEqual(2);
    expect(totals).toEqual(expectedFrom(events).totals);
  }, 120_000);

  it('runs them one at a time with partitionsConsumedConcurrently 1, with exact results', async () => {
    const { atOnce, lookups, totals } = await runWith(1);
    expect(lookups).toBeGreaterThanOrEqual(PARTITIONS);
    expect(atOnce).toBe(1);
    expect(totals).toEqual(expectedFrom(events).totals);
  }, 120_000);
});
