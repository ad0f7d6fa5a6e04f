import { Pool } from 'pg';
import { Registry } from 'prom-client';
import { StreamsApp, StreamsLogger, TaskFencedError } from '@clickstream/streams';
import { StateChangelog, TaskRepository } from '@clickstream/streams/internals';
import { uniqueName } from '../../support/kafka';
import { sumSamples } from '../../support/scraped-metrics';
import { taskCommit } from '../../support/task-commit';
import { committedState } from '../../support/task-state';
import { waitFor } from '../../support/wait-for';
import {
  counterApp,
  CounterRun,
  expectedFrom,
  makeEvents,
  produceEvents,
  recordingLogger,
  setupCounterRun,
  totalsFromTable,
  waitForProgress,
} from './harness';

const HOUR = 3_600_000;
const changing = (nextOffset: string, changes: Record<string, unknown>) =>
  taskCommit(nextOffset, { storeChanges: new Map([['s', new Map(Object.entries(changes))]]) });

/** The state log (stream_state_log) through the task repository, on a real Postgres. */
describe('the state as a log in Postgres', () => {
  let pool: Pool;
  let repo: TaskRepository;
  const topic = uniqueName('state-log-src');
  const rows = async (table: 'stream_state' | 'stream_state_log', appId: string) =>
    Number(
      (await pool.query(`SELECT count(*) AS n FROM ${table} WHERE app_id = $1`, [appId])).rows[0].n,
    );

  beforeAll(() => {
    pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
    repo = new TaskRepository(pool);
  });
  afterAll(() => pool.end());

  it('logs each commit as one row, restores from it, and empties it into stream_state', async () => {
    const id = { appId: uniqueName('state-log'), topic, partition: 0 };
    const claimed = await repo.claim(id);
    const log = new StateChangelog(HOUR, claimed.stateLog, Date.now());
    await repo.commit(
      id,
      claimed.epoch,
      changing('1', { k1: { a: 1 }, k2: Buffer.from([0, 7]) }),
      0,
      [],
      log,
    );
    await repo.commit(
      id,
      claimed.epoch,
      changing('2', { k1: { a: 2 }, k2: undefined, k3: { b: 1 } }),
      0,
      [],
      log,
    );
    expect(await rows('stream_state_log', id.appId)).toBe(2);
    expect(await rows('stream_state', id.appId)).toBe(0);

    const reloaded = await repo.reload(id, claimed.epoch);
    expect(reloaded.stores.get('s')).toEqual([
      ['k1', { a: 2 }],
      ['k3', { b: 1 }],
    ]);
    expect(reloaded.stateLog).toMatchObject({ nextSeq: 2, lowestSeq: 0 });
    expect(reloaded.stateLog.pending.map((p) => [p.key, p.firstSeq])).toEqual([
      ['k1', 0],
      ['k2', 0],
      ['k3', 1],
    ]);

    // A fenced owner's commit logs nothing.
    const next = await repo.claim(id);
    await expect(
      repo.commit(id, claimed.epoch, changing('3', { k1: { a: 99 } }), 0, [], log),
    ).rejects.toBeInstanceOf(TaskFencedError);
    expect(await rows('stream_state_log', id.appId)).toBe(2);

    // With no wait, the next commit writes every logged key to stream_state and the log goes.
    const flushing = new StateChangelog(0, next.stateLog, Date.now());
    await repo.commit(id, next.epoch, changing('3', { k4: { c: 1 } }), 0, [], flushing);
    expect(await rows('stream_state_log', id.appId)).toBe(0);
    const { rows: base } = await pool.query<{ key: string; value: Buffer }>(
      `SELECT key, value FROM stream_state WHERE app_id = $1 ORDER BY key`,
      [id.appId],
    );
    expect(base.map((r) => [r.key, r.value.toString()])).toEqual([
      ['k1', '{"a":2}'],
      ['k3', '{"b":1}'],
      ['k4', '{"c":1}'],
    ]);
    const restored = await repo.reload(id, next.epoch);
    expect(restored.stores.get('s')).toEqual([
      ['k1', { a: 2 }],
      ['k3', { b: 1 }],
      ['k4', { c: 1 }],
    ]);
    expect(restored.stateLog).toEqual({ nextSeq: 0, lowestSeq: 0, pending: [] });
  });

  it('keeps a commit of many keys in one compressed row and restores every one', async () => {
    const id = { appId: uniqueName('state-log-large'), topic, partition: 1 };
    const claimed = await repo.claim(id);
    const log = new StateChangelog(HOUR, claimed.stateLog, Date.now());
    const changes: Record<string, unknown> = {};
    for (let i = 0; i < 5000; i++)
      changes[`user-${i}`] = { events: [i, i + 1, i + 2], page: '/product/1' };
    await repo.commit(id, claimed.epoch, changing('1', changes), 0, [], log);
    const { rows: logged } = await pool.query<{ stored: number; raw: number }>(
      `SELECT pg_column_size(changes) AS stored, octet_length(changes) AS raw FROM stream_state_log WHERE app_id = $1`,
      [id.appId],
    );
    expect(logged).toHaveLength(1);
    expect(logged[0].stored).toBeLessThan(logged[0].raw / 2);
    const restored = await repo.reload(id, claimed.epoch);
    expect(new Map(restored.stores.get('s'))).toEqual(new Map(Object.entries(changes)));
  });
});

/** A running app's tasks empty their logs into stream_state: on a clean stop, and when quiet. */
describe('the state log of a running app', () => {
  const runs: CounterRun[] = [];
  let app: StreamsApp | undefined;

  afterEach(async () => {
    await app?.stop();
    app = undefined;
  });
  afterAll(async () => {
    for (const run of runs) await run.cleanup();
  });

  const logRows = async (run: CounterRun) =>
    Number(
      (
        await run.pool.query(`SELECT count(*) AS n FROM stream_state_log WHERE app_id = $1`, [
          run.appId,
        ])
      ).rows[0].n,
    );
  const waitingKeys = async (registry: Registry) =>
    sumSamples(await registry.metrics(), 'state_log_app_state_log_waiting_keys') ?? 0;
  const sorted = <T extends { partition: number; store: string; key: string }>(rows: T[]) =>
    [...rows].sort((a, b) =>
      `${a.partition}/${a.store}/${a.key}`.localeCompare(`${b.partition}/${b.store}/${b.key}`),
    );
  /** The counter app of a run, its metrics named `state_log_app_…`. */
  const appOn = (
    run: CounterRun,
    registry: Registry,
    stateFlushIntervalMs: number,
    logger?: StreamsLogger,
  ) =>
    counterApp(run, registry, {
      metricPrefix: 'state_log_app',
      allowedLatenessMs: 5000,
      stateFlushIntervalMs,
      ...(logger ? { logger } : {}),
    });

  /** The counter app over 3,000 events on 2 partitions, every record committed. */
  async function started(prefix: string, stateFlushIntervalMs: number, logger?: StreamsLogger) {
    const run = await setupCounterRun(prefix, 2);
    runs.push(run);
    const events = makeEvents(3000, 40, 16);
    await produceEvents(run.kafka, run.topics.input, events, 2);
    const registry = new Registry();
    app = appOn(run, registry, stateFlushIntervalMs, logger);
    await app.start();
    await waitForProgress(run.pool, run.appId, events.length + 2, []);
    return { run, registry, events };
  }

  /** The app started again on the same run: what each task's restore read ('task restored'). */
  async function restarted(run: CounterRun) {
    const restores: Array<Record<string, unknown>> = [];
    const note = (obj: object, msg: string) => {
      if (msg === 'task restored') restores.push(obj as Record<string, unknown>);
    };
    const registry = new Registry();
    app = appOn(run, registry, 600_000, { info: note, warn: note, error: note });
    await app.start();
    await waitFor(async () => restores.length === 2, { timeoutMs: 30_000, what: '2 restores' });
    const text = await registry.metrics();
    expect(sumSamples(text, 'state_log_app_task_restore_duration_seconds_count')).toBe(2);
    return restores.sort((a, b) => Number(a.partition) - Number(b.partition));
  }

  it('on a clean stop, writes every waiting key to stream_state and leaves no log row', async () => {
    const { run, registry, events } = await started('state-log-stop', 600_000);
    // Within the (long) interval every changed key waits in the log, and the gauge counts them.
    await waitFor(async () => (await logRows(run)) > 0 && (await waitingKeys(registry)) > 0, {
      timeoutMs: 10_000,
      what: 'keys waiting in the state log',
    });
    const before = sorted(await committedState(run.pool, run.appId));

    await app!.stop();
    app = undefined;
    expect(await logRows(run)).toBe(0);
    expect(await waitingKeys(registry)).toBe(0);
    // With the log empty, the committed state is stream_state's rows alone.
    expect(sorted(await committedState(run.pool, run.appId))).toEqual(before);
    expect(await totalsFromTable(run.pool, run.appId)).toEqual(expectedFrom(events).totals);
    // The next owner reads stream_state only.
    const restores = await restarted(run);
    expect(restores.map((r) => [r.partition, r.logRows])).toEqual([
      [0, 0],
      [1, 0],
    ]);
    expect(restores.reduce((sum, r) => sum + Number(r.stateRows), 0)).toBe(before.length);
    // Where each open's time went, in whole ms: together no more than the open took.
    for (const { phasesMs, restoreMs } of restores) {
      const phases = phasesMs as Record<string, number>;
      expect(Object.keys(phases)).toEqual(['claim', 'prepare', 'fence', 'republish']);
      expect(Object.values(phases).every((ms) => Number.isInteger(ms) && ms >= 0)).toBe(true);
      const total = Object.values(phases).reduce((sum, ms) => sum + ms, 0);
      expect(total).toBeLessThanOrEqual(Number(restoreMs) + 4);
    }
  });

  it('when its input stops, still writes the waiting keys after the interval', async () => {
    const { run, registry, events } = await started('state-log-quiet', 1000);
    const before = sorted(await committedState(run.pool, run.appId));
    // No record arrives any more; the quiet tasks commit what has waited, and the log empties.
    await waitFor(async () => (await logRows(run)) === 0 && (await waitingKeys(registry)) === 0, {
      timeoutMs: 15_000,
      what: 'the state log of quiet tasks emptied into stream_state',
    });
    // stream_state alone now holds the state committed when the input stopped.
    expect(sorted(await committedState(run.pool, run.appId))).toEqual(before);
    expect(await totalsFromTable(run.pool, run.appId)).toEqual(expectedFrom(events).totals);
  });

  it('hands a task over when its last commit is fenced: logged, not counted as a failure', async () => {
    const { lines, logger } = recordingLogger();
    const { run, registry } = await started('state-log-handover', 600_000, logger);
    await waitFor(async () => (await logRows(run)) > 0, { timeoutMs: 10_000, what: 'log rows' });
    const before = sorted(await committedState(run.pool, run.appId));
    // Another instance claims the task (as after a rebalance) before this one closes it.
    const repo = new TaskRepository(run.pool);
    for (const partition of [0, 1])
      await repo.claim({ appId: run.appId, topic: run.topics.input, partition });

    await app!.stop();
    app = undefined;
    const handedOver = lines.filter((l) => l.msg === 'task handed over');
    expect(handedOver.map((l) => [l.ctx.partition, l.ctx.reason]).sort()).toEqual([
      [0, 'fenced'],
      [1, 'fenced'],
    ]);
    expect(lines.filter((l) => l.msg === 'task failed' || l.msg === 'task close failed')).toEqual(
      [],
    );
    expect(
      sumSamples(await registry.metrics(), 'state_log_app_task_failures_total'),
    ).toBeUndefined();
    // The fenced commit wrote nothing: the new owner restores exactly what was committed.
    expect(sorted(await committedState(run.pool, run.appId))).toEqual(before);
    const left = await logRows(run);
    expect(left).toBeGreaterThan(0);
    // The next owner replays what the fenced commit left in the log.
    const restores = await restarted(run);
    expect(restores.reduce((sum, r) => sum + Number(r.logRows), 0)).toBe(left);
    expect(restores.every((r) => Number(r.logBytes) > 0 && Number(r.restoreMs) >= 0)).toBe(true);
  });
});
