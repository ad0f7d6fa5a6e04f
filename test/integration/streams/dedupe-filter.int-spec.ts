import { Pool } from 'pg';
import { Registry } from 'prom-client';
import {
  BASE_TS,
  counterApp,
  CounterRun,
  dedupeLookupIds,
  expectedFrom,
  metricValue,
  poolWithQuery,
  produceEvents,
  progress,
  recordingLogger,
  setupCounterRun,
  totalsFromTable,
} from './harness';
import { CountEvent } from './counter-topology';
import { waitFor } from '../../support/wait-for';

const PARTITIONS = 3;
const STORED = 240;
const HORIZON_MS = 3_600_000;
/** The filter is off unless set (STREAMS_DEDUPE_FILTER_MAX_BYTES). */
const FILTER_BYTES = 32 * 1024 * 1024;

const event = (i: number): CountEvent => ({
  user: `u${i % 40}`,
  ts: BASE_TS + i * 100,
  n: (i % 5) + 1,
  id: `e${i}`,
});

/** The app's pool with the ids of each dedupe lookup noted. */
function lookupRecordingPool(pool: Pool): { pool: Pool; asked: Set<string> } {
  const asked = new Set<string>();
  const query = (text: unknown, params?: unknown[]) => {
    for (const id of dedupeLookupIds(text, params) ?? []) asked.add(id);
    return pool.query(text as string, params);
  };
  return { pool: poolWithQuery(pool, query), asked };
}

/**
 * The dedupe's filter on a real broker and Postgres: a restarted app loads the ids its tasks'
 * stores hold, still finds every repeat of them (it looks those up), and spares the lookup of
 * almost every new id. Counts stay exact.
 */
describe('dedupe filter', () => {
  let run: CounterRun;
  beforeAll(async () => {
    run = await setupCounterRun('dedupe-filter', PARTITIONS);
  });
  afterAll(() => run.cleanup());

  it('after a restart, loads the stored ids, looks up their repeats only, and counts exactly', async () => {
    const stored = Array.from({ length: STORED }, (_, i) => event(i));
    const first = counterApp(run, new Registry(), {
      dedupeHorizonMs: HORIZON_MS,
      dedupeFilterMaxBytes: FILTER_BYTES,
    });
    await produceEvents(run.kafka, run.topics.input, stored, 0);
    await first.start();
    try {
      await waitFor(async () => (await progress(run.pool, run.appId)) >= STORED, {
        timeoutMs: 60_000,
        what: 'the first app committed every record',
      });
    } finally {
      await first.stop();
    }

    const registry = new Registry();
    const recording = lookupRecordingPool(run.pool);
    const { lines, logger } = recordingLogger();
    const second = counterApp(run, registry, {
      dedupeHorizonMs: HORIZON_MS,
      dedupeFilterMaxBytes: FILTER_BYTES,
      pool: recording.pool,
      logger,
    });
    await second.start();
    try {
      const loaded = () => lines.filter((l) => l.msg === 'dedupe filter loaded');
      await waitFor(() => loaded().length === PARTITIONS, {
        timeoutMs: 60_000,
        what: 'every task loaded its dedupe filter',
      });
      expect(loaded().reduce((sum, l) => sum + Number(l.ctx.ids), 0)).toBe(STORED);
      expect(loaded().every((l) => l.ctx.status === 'ready')).toBe(true);

      const repeats = stored.filter((_, i) => i % 2 === 0);
      const fresh = Array.from({ length: 200 }, (_, i) => event(STORED + i));
      await produceEvents(run.kafka, run.topics.input, [...repeats, ...fresh], 0);
      const total = STORED + repeats.length + fresh.length;
      await waitFor(async () => (await progress(run.pool, run.appId)) >= total, {
        timeoutMs: 60_000,
        what: 'the second app committed every record',
      });

      expect(await totalsFromTable(run.pool, run.appId)).toEqual(
        expectedFrom([...stored, ...fresh]).totals,
      );
      // Every repeat was looked up (the filter knew its id); new ids only as false positives.
      expect(repeats.filter((e) => !recording.asked.has(e.id!))).toEqual([]);
      const freshAsked = fresh.filter((e) => recording.asked.has(e.id!)).length;
      expect(freshAsked).toBeLessThan(20);
      const spared = await metricValue(registry, 'streams_dedupe_lookups_spared_total', {
        processor: run.appId,
      });
      expect(spared).toBe(fresh.length - freshAsked);
      expect(
        await metricValue(registry, 'streams_dedupe_filter_loads_total', { result: 'loaded' }),
      ).toBe(PARTITIONS);
    } finally {
      await second.stop();
    }
  }, 180_000);
});
