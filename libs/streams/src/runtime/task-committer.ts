import { TaskCommit } from '../core/task';
import { partitionLabels, StreamsMetrics } from './metrics';
import { OffsetHints } from './offset-hints';
import { StallMonitor } from './stall-monitor';
import { LiveTask, ResolvedOptions } from './streams-app-options';
import { CommitRange, FailureStage, TaskSupervisor } from './task-supervisor';
import { TaskRepository } from './task-repository';

/** Serialises batches, punctuation and commits of one task. */
export function withLock<T>(live: LiveTask, fn: () => Promise<T>): Promise<T> {
  const run = live.lock.then(fn, fn);
  live.lock = run.catch(() => undefined);
  return run;
}

export interface TaskCommitterDeps {
  options: ResolvedOptions;
  repo: TaskRepository;
  metrics: StreamsMetrics;
  supervisor: TaskSupervisor;
  stall: StallMonitor;
  hints: OffsetHints;
  running: () => boolean;
  stageGroups: (topic: string) => string[];
  context: (live: LiveTask) => Record<string, unknown>;
  fail: (live: LiveTask, stage: FailureStage, err: unknown, range?: CommitRange) => Promise<void>;
}

/**
 * When and how a task's changes are committed: by interval across fetched batches (Kafka Streams'
 * commit.interval.ms), Postgres first, then the outbox on Kafka, then the offset hint; metrics
 * and log lines for what each commit carried.
 */
export class TaskCommitter {
  constructor(private readonly deps: TaskCommitterDeps) {}

  /**
   * Schedules the task's next commit at the end of its interval, or, if the previous commit is
   * still running then, right after it; batches processed meanwhile join it. So the consumer never
   * waits for a commit, a key touched by several batches is written once, and there are fewer
   * Postgres and Kafka transactions per record. Only more than maxUncommittedRecords waits
   * (backpressure). Records for the outbox shorten the interval to outputCommitIntervalMs, and a
   * timer set for later is brought forward.
   */
  async soon(live: LiveTask): Promise<void> {
    const { options } = this.deps;
    if (live.task.pendingRecords() >= options.maxUncommittedRecords) return this.enqueue(live);
    const interval =
      live.task.pendingOutput() > 0 ? options.outputCommitIntervalMs : options.commitIntervalMs;
    const due = live.lastCommitAt + interval;
    // A fired timer (waiting for the previous commit) or one due as soon stands.
    if (live.flushScheduled && (live.flush === undefined || (live.flushDue ?? 0) <= due)) return;
    if (live.flush) clearTimeout(live.flush);
    live.flushScheduled = true;
    live.flushDue = due;
    live.flush = setTimeout(
      () => {
        live.flush = undefined;
        // A throw here (not a commit failure: commit() handles those) must fail the task, not escape.
        void live.inflight
          .then(() =>
            withLock(live, () => (live.flushScheduled ? this.enqueue(live) : Promise.resolve())),
          )
          .catch((err: unknown) => this.deps.fail(live, 'commit', err));
      },
      Math.max(0, due - Date.now()),
    );
  }

  /**
   * Commits what the task changed, after the previous commit of the same task landed. The commit
   * runs while kafkajs hands us the next batch (of any partition): CPU-bound processing overlaps
   * the Postgres and Kafka round trips, and at most one commit per task is in flight.
   */
  async enqueue(live: LiveTask): Promise<void> {
    if (live.flush) clearTimeout(live.flush);
    live.flush = undefined;
    await live.inflight;
    if (live.closed) return;
    live.flushScheduled = false;
    live.lastCommitAt = Date.now();
    const range: CommitRange = {
      from: live.committed,
      to: live.task.resumeOffset(),
      records: live.task.pendingRecords(),
    };
    let c: TaskCommit;
    try {
      // Taking the commit encodes the stores' changed values: one a node's layout cannot hold
      // (StateEncodingError) fails this commit as refused data, so the supervisor isolates its record.
      c = live.task.takeCommit();
    } catch (err) {
      live.inflight = this.deps.fail(live, 'commit', err, range);
      return;
    }
    live.inflight = this.commit(live, c, range);
  }

  /** Postgres first (the truth), then Kafka; then notes the offset hint for lag tools. Never rejects. */
  private async commit(live: LiveTask, c: TaskCommit, range: CommitRange): Promise<void> {
    const labels = partitionLabels(this.deps.options.topology.applicationId, live.id);
    const t0 = process.hrtime.bigint();
    try {
      await this.deps.repo.commit(
        live.id,
        live.epoch,
        c,
        live.publisher.confirmedBelow,
        this.deps.stageGroups(live.id.topic),
        live.stateLog,
      );
    } catch (err) {
      return this.deps.fail(live, 'commit', err, range);
    }
    live.deletedBelow = live.publisher.confirmedBelow;
    if (c.nextOffset !== null) live.committed = c.nextOffset;
    this.deps.supervisor.committed(live.key, c.nextOffset);
    this.deps.stall.committed(live.key, c.nextOffset);
    this.deps.metrics.commitDuration.observe(
      { processor: this.deps.options.topology.applicationId },
      Number(process.hrtime.bigint() - t0) / 1e9,
    );
    this.deps.metrics.processed.inc(labels, c.processed);
    if (c.late) this.deps.metrics.late.inc(labels, c.late);
    if (c.deadLettered) this.deps.metrics.deadLettered.inc(labels, c.deadLettered);
    if (c.duplicates) this.deps.metrics.duplicates.inc(labels, c.duplicates);
    for (const d of c.deadLetters)
      this.deps.options.logger.error(
        { ...this.deps.context(live), offset: d.offset, reason: d.reason, err: d.message },
        'record dead-lettered',
      );
    this.deps.metrics.stateLogWaitingKeys.set(labels, live.stateLog.waiting);
    if (c.watermark.watermark !== null)
      this.deps.metrics.watermarkLag.set(
        labels,
        (this.deps.options.clock() - c.watermark.watermark) / 1000,
      );
    try {
      await live.publisher.publish(c.outbox);
    } catch (err) {
      return this.deps.fail(live, 'publish', err);
    }
    if (c.nextOffset !== null && this.deps.running())
      this.deps.hints.note(live.id.topic, live.id.partition, c.nextOffset);
  }

  /** A quiet task still deletes what its last publish confirmed, keeping the outbox table empty. */
  async cleanOutbox(live: LiveTask): Promise<void> {
    await live.inflight;
    const below = live.publisher.confirmedBelow;
    if (below <= live.deletedBelow) return;
    await this.deps.repo.deletePublished(live.id, below).then(
      () => (live.deletedBelow = below),
      (err: Error) =>
        this.deps.options.logger.warn(
          { ...this.deps.context(live), err: err.message },
          'outbox cleanup failed',
        ),
    );
  }
}
