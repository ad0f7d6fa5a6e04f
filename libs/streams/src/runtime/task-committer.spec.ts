import { LiveTask, ResolvedOptions } from './streams-app-options';
import { TaskCommitter, TaskCommitterDeps } from './task-committer';

/** When soon() takes a commit: the interval, the shorter one for outputs, and timers moved forward. */
describe('TaskCommitter.soon', () => {
  const options = {
    commitIntervalMs: 1000,
    outputCommitIntervalMs: 100,
    maxUncommittedRecords: 20_000,
  } as ResolvedOptions;
  let output: number;
  let committer: TaskCommitter;
  let enqueued: number[];
  let live: LiveTask;

  beforeEach(() => {
    jest.useFakeTimers({ now: 50_000 });
    output = 0;
    enqueued = [];
    committer = new TaskCommitter({ options, fail: jest.fn() } as unknown as TaskCommitterDeps);
    jest.spyOn(committer, 'enqueue').mockImplementation(async (l) => {
      enqueued.push(Date.now());
      l.flushScheduled = false;
      l.lastCommitAt = Date.now();
    });
    live = {
      task: { pendingRecords: () => 10, pendingOutput: () => output },
      inflight: Promise.resolve(),
      lock: Promise.resolve(),
      lastCommitAt: 50_000,
      flushScheduled: false,
    } as unknown as LiveTask;
  });
  afterEach(() => jest.useRealTimers());

  const advance = async (ms: number) => {
    await jest.advanceTimersByTimeAsync(ms);
  };

  it('commits state-only changes one interval after the last commit', async () => {
    await committer.soon(live);
    await advance(999);
    expect(enqueued).toEqual([]);
    await advance(1);
    expect(enqueued).toEqual([51_000]);
  });

  it('commits a task holding outbox records within the output interval', async () => {
    output = 1;
    await committer.soon(live);
    await advance(100);
    expect(enqueued).toEqual([50_100]);
  });

  it('brings a timer set for the interval forward when an output arrives', async () => {
    await committer.soon(live);
    await advance(300);
    output = 2;
    await committer.soon(live);
    // Due 100 ms after the last commit, which is already past: at once.
    await advance(0);
    expect(enqueued).toEqual([50_300]);
    await advance(2000);
    expect(enqueued).toEqual([50_300]);
  });

  it('keeps one timer: a later call with nothing new neither delays nor doubles it', async () => {
    output = 1;
    await committer.soon(live);
    await advance(50);
    output = 0;
    await committer.soon(live);
    await committer.soon(live);
    await advance(50);
    expect(enqueued).toEqual([50_100]);
    await advance(5000);
    expect(enqueued).toEqual([50_100]);
  });

  it('commits at once past maxUncommittedRecords', async () => {
    live.task.pendingRecords = () => 20_000;
    await committer.soon(live);
    expect(enqueued).toEqual([50_000]);
  });
});
