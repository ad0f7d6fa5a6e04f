import { Registry } from 'prom-client';
import { streamsMetrics } from './metrics';
import { StreamsLogger } from './logger';
import { LiveTask, ResolvedOptions } from './streams-app-options';
import { TaskCommitter } from './task-committer';
import { TaskRegistry, TaskRegistryDeps } from './task-registry';
import { TaskSupervisor } from './task-supervisor';

/** A closing task's last commit: whatever fails in it is logged and counted, never swallowed. */
describe('TaskRegistry.closeTask', () => {
  const KEY = 'events-0';

  function registryWith(enqueue: () => Promise<void>) {
    const lines: Array<[string, string, Record<string, unknown>]> = [];
    const log =
      (level: string) =>
      (ctx: object, msg: string): void => {
        lines.push([level, msg, ctx as Record<string, unknown>]);
      };
    const logger = {
      debug: log('debug'),
      info: log('info'),
      warn: log('warn'),
      error: log('error'),
    } as unknown as StreamsLogger;
    const registry = new Registry();
    const metrics = streamsMetrics(registry, 'close_test');
    const tasks = new TaskRegistry({
      options: { topology: { applicationId: 'close-app' }, logger } as unknown as ResolvedOptions,
      metrics,
      supervisor: { forget: jest.fn() } as unknown as TaskSupervisor,
      committer: () => ({ enqueue }) as unknown as TaskCommitter,
    } as unknown as TaskRegistryDeps);
    const close = jest.fn(() => Promise.resolve());
    const drain = jest.fn();
    const live = {
      key: KEY,
      id: { appId: 'close-app', topic: 'events', partition: 0 },
      epoch: '1',
      lock: Promise.resolve(),
      inflight: Promise.resolve(),
      closed: false,
      flushScheduled: true,
      stateLog: { waiting: 3, drain },
      publisher: { close },
    } as unknown as LiveTask;
    (tasks as unknown as { tasks: Map<string, Promise<LiveTask>> }).tasks.set(
      KEY,
      Promise.resolve(live),
    );
    return { tasks, registry, lines, live, close, drain };
  }

  it('drains the state log in the last commit and closes the publisher', async () => {
    const enqueue = jest.fn(() => Promise.resolve());
    const { tasks, lines, live, close, drain } = registryWith(enqueue);
    await tasks.closeTask(KEY);
    expect([drain.mock.calls.length, enqueue.mock.calls.length]).toEqual([1, 1]);
    expect(live.closed).toBe(true);
    expect(close).toHaveBeenCalled();
    expect(lines.filter(([level]) => level !== 'debug')).toEqual([]);
  });

  it('logs and counts an error escaping the last commit as a close that failed', async () => {
    const { tasks, registry, lines, live, close } = registryWith(() =>
      Promise.reject(new TypeError('a bug in the commit path')),
    );
    await tasks.closeTask(KEY);
    const failed = lines.filter(([, msg]) => msg === 'task close failed');
    expect(failed).toHaveLength(1);
    expect(failed[0][0]).toBe('warn');
    expect(failed[0][2]).toMatchObject({ stage: 'commit', err: 'a bug in the commit path' });
    const counted = await registry.getSingleMetric('close_test_task_failures_total')!.get();
    expect(counted.values.map((v) => [v.labels.reason, v.value])).toEqual([['commit_bug', 1]]);
    expect(live.closed).toBe(true);
    expect(close).toHaveBeenCalled();
  });
});
