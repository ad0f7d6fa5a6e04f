import { Registry } from 'prom-client';
import { Failure } from './failure';
import { streamsMetrics } from './metrics';
import { TaskSupervisor } from './task-supervisor';

const overflow: Failure = { kind: 'data', code: '22003', message: 'numeric field overflow' };
const restart: Failure = {
  kind: 'transient',
  code: '57P01',
  message: 'terminating connection due to administrator command',
};

function supervisor() {
  const registry = new Registry();
  const lines: Array<{ level: string; obj: object; msg: string }> = [];
  const log = (level: string) => (obj: object, msg: string) => lines.push({ level, obj, msg });
  let now = 1_000_000;
  const s = new TaskSupervisor({
    processor: 'app',
    metrics: streamsMetrics(registry, 'svc'),
    logger: { info: log('info'), warn: log('warn'), error: log('error') },
    backoff: { initialMs: 1000, maxMs: 8000 },
    clock: () => now,
  });
  const failures = async () =>
    (await registry.getSingleMetric('svc_task_failures_total')!.get()).values;
  return { s, lines, failures, advance: (ms: number) => (now += ms) };
}

describe('TaskSupervisor', () => {
  it('backs off a failing task more each time, capped, and a commit resets it', () => {
    const { s, advance } = supervisor();
    const waits: number[] = [];
    for (let i = 0; i < 6; i++) {
      s.failed('t-0', 'commit', restart, {}, { from: '0', to: '10', records: 10 });
      waits.push(s.waitMs('t-0'));
    }
    expect(waits[0]).toBeGreaterThanOrEqual(500);
    expect(waits[0]).toBeLessThanOrEqual(1000);
    expect(waits[3]).toBeGreaterThanOrEqual(4000);
    expect(Math.max(...waits)).toBeLessThanOrEqual(8000);
    advance(8000);
    expect(s.waitMs('t-0')).toBe(0);
    s.committed('t-0', '10');
    s.failed('t-0', 'commit', restart, {}, { from: '10', to: '20', records: 10 });
    expect(s.waitMs('t-0')).toBeLessThanOrEqual(1000);
  });

  it('logs and counts every failure by stage and kind', async () => {
    const { s, lines, failures } = supervisor();
    s.failed(
      't-0',
      'commit',
      overflow,
      { topic: 't', partition: 0 },
      { from: '0', to: '10', records: 10 },
    );
    s.failed('t-0', 'restore', restart, { topic: 't', partition: 0 });
    expect(lines.filter((l) => l.msg === 'task failed')).toEqual([
      expect.objectContaining({
        level: 'error',
        obj: expect.objectContaining({
          stage: 'commit',
          reason: 'data',
          code: '22003',
          topic: 't',
          from: '0',
          to: '10',
        }),
      }),
      expect.objectContaining({
        level: 'error',
        obj: expect.objectContaining({ stage: 'restore', reason: 'transient', attempt: 2 }),
      }),
    ]);
    expect(await failures()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ labels: { processor: 'app', reason: 'commit_data' }, value: 1 }),
        expect.objectContaining({
          labels: { processor: 'app', reason: 'restore_transient' },
          value: 1,
        }),
      ]),
    );
  });

  it('isolates after the same commit is refused twice, then quarantines the one record refused alone', () => {
    const { s } = supervisor();
    const range = { from: '100', to: '150', records: 50 };
    s.failed('t-0', 'commit', overflow, {}, range);
    expect(s.isolateUpTo('t-0')).toBeNull();
    s.failed('t-0', 'commit', overflow, {}, range);
    expect(s.isolateUpTo('t-0')).toBe(149n);
    expect(s.waitMs('t-0')).toBe(0);
    s.committed('t-0', '120');
    s.failed('t-0', 'commit', overflow, {}, { from: '120', to: '121', records: 1 });
    expect([...s.quarantined('t-0')]).toEqual([
      ['120', { reason: 'storage_rejected', message: 'numeric field overflow (22003)' }],
    ]);
    expect(s.waitMs('t-0')).toBe(0);
    s.committed('t-0', '121');
    expect(s.quarantined('t-0').size).toBe(0);
    s.isolationDone('t-0', {});
    expect(s.isolateUpTo('t-0')).toBeNull();
  });

  it('does not isolate when the second failure is a different one or starts elsewhere', () => {
    const { s } = supervisor();
    s.failed('t-0', 'commit', overflow, {}, { from: '100', to: '150', records: 50 });
    s.failed('t-0', 'commit', restart, {}, { from: '100', to: '150', records: 50 });
    s.failed('t-0', 'commit', overflow, {}, { from: '120', to: '150', records: 30 });
    expect(s.isolateUpTo('t-0')).toBeNull();
  });

  it('reloads after an ordinary failure and claims anew after a fence', () => {
    const { s } = supervisor();
    expect(s.reopenMode('t-0')).toBe('claim');
    s.opened('t-0', false, {});
    s.failed('t-0', 'commit', restart, {});
    expect(s.reopenMode('t-0')).toBe('reload');
    s.failed(
      't-0',
      'restore',
      { kind: 'fenced', code: 'TASK_FENCED', message: 'claimed elsewhere' },
      {},
    );
    expect(s.reopenMode('t-0')).toBe('claim');
  });
});
