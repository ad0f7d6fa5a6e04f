import { Registry } from 'prom-client';
import { DedupeFilter } from '../core/dedupe-filter';
import { DedupeFilterLoader } from './dedupe-filter-loader';
import { streamsMetrics } from './metrics';
import { LiveTask } from './streams-app-options';
import { TaskIdentity } from './task-repository';

const PAGE_ROWS = 20_000;
const HOUR = 3_600_000;

type Page = Array<[string, number]>;
type PageSource = (after: string | null) => Promise<Page>;

/** A loader over fake stores: each partition's pages come from its own function. */
function loader(stores: Record<number, PageSource>) {
  const registry = new Registry();
  const lines: Array<{ level: string; obj: Record<string, unknown>; msg: string }> = [];
  const log = (level: string) => (obj: object, msg: string) =>
    lines.push({ level, obj: obj as Record<string, unknown>, msg });
  const asked: Array<[number, string | null]> = [];
  const repo = {
    rememberedIdsPage: (t: TaskIdentity, after: string | null) => {
      asked.push([t.partition, after]);
      return stores[t.partition](after);
    },
  };
  const it = new DedupeFilterLoader(
    {
      logger: { info: log('info'), warn: log('warn'), error: log('error') },
      restartBackoff: { initialMs: 60_000, maxMs: 60_000 },
      dedupeFilterMaxBytes: 4 * 2 ** 20,
    },
    repo,
    streamsMetrics(registry, 'svc'),
    'app',
  );
  const loads = async () =>
    (await registry.getSingleMetric('svc_dedupe_filter_loads_total')!.get()).values.map(
      (v) => `${v.labels.result}=${v.value}`,
    );
  return { it, lines, asked, loads };
}

function task(partition: number): LiveTask & { task: { dedupeFilter: DedupeFilter } } {
  const id = { appId: 'app', topic: 'events', partition };
  return {
    id,
    closed: false,
    task: { dedupeFilter: new DedupeFilter(24 * HOUR, 4 * 2 ** 20) },
  } as unknown as LiveTask & { task: { dedupeFilter: DedupeFilter } };
}

const ids = (prefix: string, n: number): Page =>
  Array.from({ length: n }, (_, i) => [`${prefix}-${String(i).padStart(6, '0')}`, HOUR]);

afterEach(() => jest.useRealTimers());

describe('DedupeFilterLoader', () => {
  it("lets other tasks' loads go on while a failed one waits out its backoff", async () => {
    jest.useFakeTimers();
    const failing = task(0);
    const healthy = task(1);
    const {
      it: subject,
      lines,
      loads,
    } = loader({
      0: () => Promise.reject(new Error('canceling statement due to statement timeout')),
      1: () => Promise.resolve(ids('b', 3)),
    });
    subject.load(failing);
    subject.load(healthy);
    // Well inside the 30–60 s backoff of the failed load.
    await jest.advanceTimersByTimeAsync(1_000);
    expect(healthy.task.dedupeFilter.status).toBe('ready');
    expect(healthy.task.dedupeFilter.mightContain('b-000001')).toBe(true);
    expect(failing.task.dedupeFilter.status).toBe('loading');
    expect(lines.map((l) => `${l.msg} ${String(l.obj.partition)}`)).toEqual([
      'dedupe filter load failed 0',
      'dedupe filter loaded 1',
    ]);
    expect(lines[0].obj).toMatchObject({
      err: 'canceling statement due to statement timeout',
      attempt: 1,
    });
    expect(lines[0].obj.retryInMs).toBeGreaterThanOrEqual(30_000);
    expect(await loads()).toEqual(['failed=1', 'loaded=1']);
  });

  it('retries a failed load after its backoff, from the page after the last one read', async () => {
    jest.useFakeTimers();
    const live = task(0);
    const first = ids('a', PAGE_ROWS);
    const rest = ids('c', 5);
    let failOnce = true;
    const {
      it: subject,
      lines,
      asked,
      loads,
    } = loader({
      0: (after) => {
        if (after === null) return Promise.resolve(first);
        if (failOnce) {
          failOnce = false;
          return Promise.reject(new Error('Connection terminated unexpectedly'));
        }
        return Promise.resolve(rest);
      },
    });
    subject.load(live);
    await jest.advanceTimersByTimeAsync(29_000);
    expect(live.task.dedupeFilter.status).toBe('loading');
    await jest.advanceTimersByTimeAsync(31_000);
    expect(live.task.dedupeFilter.status).toBe('ready');
    const lastOfFirst = first[PAGE_ROWS - 1][0];
    expect(asked).toEqual([
      [0, null],
      [0, lastOfFirst],
      [0, lastOfFirst],
    ]);
    const loaded = lines.find((l) => l.msg === 'dedupe filter loaded')!;
    expect(loaded.obj.ids).toBe(PAGE_ROWS + 5);
    for (const [id] of [...first, ...rest])
      expect(live.task.dedupeFilter.mightContain(id)).toBe(true);
    expect(await loads()).toEqual(['failed=1', 'loaded=1']);
  });

  it('stops retrying once the task is closed', async () => {
    jest.useFakeTimers();
    const live = task(0);
    const { it: subject, asked } = loader({ 0: () => Promise.reject(new Error('refused')) });
    subject.load(live);
    await jest.advanceTimersByTimeAsync(1_000);
    live.closed = true;
    await jest.advanceTimersByTimeAsync(120_000);
    expect(asked).toHaveLength(1);
    expect(live.task.dedupeFilter.status).toBe('loading');
  });
});
