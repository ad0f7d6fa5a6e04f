import { Admin, Consumer } from 'kafkajs';
import { StreamTask } from '../core/task';
import { DedupeFilterLoader } from './dedupe-filter-loader';
import { classifyFailure, Failure } from './failure';
import { partitionLabels, StreamsMetrics } from './metrics';
import { claimOwnership } from './outbox-claim';
import { StallMonitor } from './stall-monitor';
import { StateChangelog } from './state-changelog';
import { LiveTask, newPublisher, newTask, ResolvedOptions } from './streams-app-options';
import { TaskCommitter, withLock } from './task-committer';
import { ClaimedTask, TaskIdentity, TaskRepository } from './task-repository';
import { CommitRange, FailureStage, TaskSupervisor } from './task-supervisor';

export interface TaskRegistryDeps {
  options: ResolvedOptions;
  repo: TaskRepository;
  metrics: StreamsMetrics;
  supervisor: TaskSupervisor;
  stall: StallMonitor;
  committer: () => TaskCommitter;
  consumer: () => Consumer | undefined;
  admin: () => Admin | undefined;
  /** The Postgres group ids of the global stages driven by a topic. */
  stageGroups: (topic: string) => string[];
}

/**
 * The tasks this instance owns, by topic-partition. Opening one claims (or reloads) it from
 * Postgres and fences its old publisher; a failure drops it, to be rebuilt after the supervisor's
 * backoff; a partition that cannot run meanwhile is paused, and seeks back to what Postgres
 * committed when its task opens.
 */
export class TaskRegistry {
  private readonly tasks = new Map<string, Promise<LiveTask>>();
  /** Tasks dropped after a failure or never opened: Kafka's position may be past Postgres, so opening seeks back. */
  private readonly reopen = new Set<string>();
  /** The epoch this instance holds per task (a reload keeps it). */
  private readonly epochs = new Map<string, string>();
  /** Partitions paused while their task waits out a backoff. */
  private readonly paused = new Set<string>();

  /** Loads each opened task's dedupe filter in the background and reports what the filters do. */
  readonly dedupeFilters: DedupeFilterLoader;

  constructor(private readonly d: TaskRegistryDeps) {
    this.dedupeFilters = new DedupeFilterLoader(d.options, d.repo, d.metrics, this.appId);
  }

  private get appId(): string {
    return this.d.options.topology.applicationId;
  }

  /** Topic-partition ids of the tasks open or opening. */
  keys(): string[] {
    return [...this.tasks.keys()];
  }

  has(key: string): boolean {
    return this.tasks.has(key);
  }

  /** The tasks open or opening, in order, each once settled (undefined when its opening failed). */
  pending(): Array<Promise<LiveTask | undefined>> {
    return [...this.tasks.values()].map((t) => t.catch(() => undefined));
  }

  /** After a rebalance: closes the tasks of partitions no longer assigned and forgets their pauses. */
  keepOnly(assigned: Map<string, unknown>): void {
    for (const key of this.keys()) if (!assigned.has(key)) void this.closeTask(key);
    for (const key of [...this.paused]) if (!assigned.has(key)) this.paused.delete(key);
  }

  /** The open task, or undefined (partition paused) while it backs off or cannot be opened. */
  async liveTask(topic: string, partition: number): Promise<LiveTask | undefined> {
    const key = `${topic}-${partition}`;
    if (!this.tasks.has(key) && this.d.supervisor.waitMs(key) > 0) {
      this.pause(key, topic, partition);
      return undefined;
    }
    return this.taskFor(topic, partition).catch(() => {
      this.pause(key, topic, partition);
      return undefined;
    });
  }

  taskFor(topic: string, partition: number): Promise<LiveTask> {
    const key = `${topic}-${partition}`;
    let t = this.tasks.get(key);
    if (!t) {
      t = this.openTask({ appId: this.appId, topic, partition });
      const handle = t;
      this.tasks.set(key, handle);
      handle.then(
        (live) => (live.handle = handle),
        () => this.tasks.get(key) === handle && this.tasks.delete(key),
      );
    }
    return t;
  }

  /** Claims (or, after a failure, reloads) the task from Postgres, fences the old publisher and finishes its outbox. */
  private async openTask(id: TaskIdentity): Promise<LiveTask> {
    const key = `${id.topic}-${id.partition}`;
    const epoch = this.epochs.get(key);
    const rebuilt = this.reopen.has(key);
    const ctx = { processor: this.appId, topic: id.topic, partition: id.partition, epoch };
    const started = process.hrtime.bigint();
    try {
      const reload = this.d.supervisor.reopenMode(key) === 'reload' && epoch !== undefined;
      const {
        claimed,
        prepared: task,
        publisher,
        republished,
        phasesMs,
      } = await claimOwnership({
        repo: this.d.repo,
        id,
        claim: () => (reload ? this.d.repo.reload(id, epoch) : this.d.repo.claim(id)),
        prepare: (claimed) => this.prepareTask(id, key, claimed),
        publisher: () =>
          newPublisher(this.d.options, this.d.admin()!, id, () => this.d.metrics.deadLettered),
      });
      if (this.reopen.has(key))
        await this.seekToCommitted(id, claimed.nextOffset).catch(async (err) => {
          await publisher.close();
          throw err;
        });
      this.reopen.delete(key);
      this.d.supervisor.opened(key, rebuilt, {
        ...ctx,
        epoch: claimed.epoch,
        offset: claimed.nextOffset,
        republished,
        reload,
      });
      this.d.stall.committed(key, claimed.nextOffset);
      this.restored(claimed, started, {
        ...ctx,
        epoch: claimed.epoch,
        offset: claimed.nextOffset,
        phasesMs,
      });
      const live: LiveTask = {
        key,
        id,
        task,
        epoch: claimed.epoch,
        publisher,
        lock: Promise.resolve(),
        closed: false,
        deletedBelow: 0,
        inflight: Promise.resolve(),
        committed: claimed.nextOffset,
        lastCommitAt: 0,
        flushScheduled: false,
        stateLog: new StateChangelog(
          this.d.options.stateFlushIntervalMs,
          claimed.stateLog,
          Date.now(),
        ),
      };
      this.d.metrics.stateLogWaitingKeys.set(this.labels(live), live.stateLog.waiting);
      this.dedupeFilters.load(live);
      this.resumeIfPaused(key, id);
      return live;
    } catch (err) {
      this.reopen.add(key);
      this.d.supervisor.failed(key, 'restore', classifyFailure(err), ctx);
      throw err;
    }
  }

  /** Kafka Streams' restore metrics, in short: how long an open took and what it read. */
  private restored(claimed: ClaimedTask, started: bigint, ctx: object): void {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    this.d.metrics.taskRestoreDuration.observe({ processor: this.appId }, seconds);
    this.d.options.logger.info(
      { ...ctx, ...claimed.restored, restoreMs: Math.round(seconds * 1000) },
      'task restored',
    );
  }

  /** The task on the claimed state, with the runtime's quarantined records and the stages' watermark floor. */
  private async prepareTask(
    id: TaskIdentity,
    key: string,
    claimed: ClaimedTask,
  ): Promise<StreamTask> {
    this.epochs.set(key, claimed.epoch);
    const task = newTask(this.d.options, id, claimed);
    for (const [offset, record] of this.d.supervisor.quarantined(key))
      task.quarantine(offset, record);
    // A partition left out of the global watermark (idle or empty) must not change what a stage
    // already finalised: it resumes with its watermark at least at the stages' floor.
    const floor = await this.d.repo.watermarkFloor(this.d.stageGroups(id.topic), id.topic);
    if (floor !== null) task.raiseWatermarkTo(floor);
    return task;
  }

  private pause(key: string, topic: string, partition: number): void {
    // Whatever kafkajs resolved meanwhile, the task seeks back to Postgres when it opens.
    this.reopen.add(key);
    const consumer = this.d.consumer();
    if (this.paused.has(key) || !consumer) return;
    this.paused.add(key);
    consumer.pause([{ topic, partitions: [partition] }]);
  }

  private resumeIfPaused(key: string, id: TaskIdentity): void {
    if (!this.paused.delete(key)) return;
    this.d.consumer()?.resume([{ topic: id.topic, partitions: [id.partition] }]);
  }

  async closeTask(key: string): Promise<void> {
    const t = this.tasks.get(key);
    this.tasks.delete(key);
    this.d.supervisor.forget(key);
    this.epochs.delete(key);
    const live = await t?.catch(() => undefined);
    if (!live) return;
    live.closing = true;
    // What was processed since the last commit (a flush is pending) is committed before the
    // partition goes, and that last commit also writes the keys waiting in the state log to
    // stream_state and empties the log (Kafka Streams flushes its stores and checkpoints on close),
    // so the next owner replays nothing. One commit, not two: a new owner may claim the task at
    // any moment, and a fenced last commit leaves the log for restore to replay (nothing is lost).
    if (live.flushScheduled || live.stateLog.waiting > 0) {
      live.stateLog.drain();
      // enqueue reports its own failures; anything else escaping it is a close that failed too.
      await withLock(live, () => this.d.committer().enqueue(live)).catch((err: unknown) =>
        this.fail(live, 'commit', err),
      );
    }
    await live.inflight;
    live.closed = true;
    this.d.metrics.stateLogWaitingKeys.remove(this.labels(live));
    await live.publisher.close();
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.tasks.keys()].map((k) => this.closeTask(k)));
  }

  private labels(live: LiveTask) {
    return partitionLabels(this.appId, live.id);
  }

  context(live: LiveTask): Record<string, unknown> {
    return {
      processor: this.appId,
      topic: live.id.topic,
      partition: live.id.partition,
      epoch: live.epoch,
      offset: live.committed,
    };
  }

  /** The task's memory may be ahead of Postgres now: drop it; it is rebuilt after the supervisor's backoff. */
  async fail(
    live: LiveTask,
    stage: FailureStage,
    err: unknown,
    range?: CommitRange,
  ): Promise<void> {
    if (live.closed) return;
    live.closed = true;
    if (live.flush) clearTimeout(live.flush);
    if (this.tasks.get(live.key) === live.handle) this.tasks.delete(live.key);
    this.reopen.add(live.key);
    // Set again when the task reopens; a partition that moves away meanwhile keeps no stale gauge.
    this.d.metrics.stateLogWaitingKeys.remove(this.labels(live));
    if (live.closing) this.failedClosing(live, stage, classifyFailure(err));
    else this.d.supervisor.failed(live.key, stage, classifyFailure(err), this.context(live), range);
    await live.publisher.close();
  }

  /**
   * A failure of a closing task's last commit or publish. Nothing is rebuilt (the partition is
   * going); what was not committed is processed again by the next owner. Fenced is the handover,
   * not a failure: the new owner claimed the task first (a rebalance), so it is logged at info and
   * not counted. Anything else is counted and logged as a close that failed.
   */
  private failedClosing(live: LiveTask, stage: FailureStage, failure: Failure): void {
    const ctx = {
      ...this.context(live),
      stage,
      reason: failure.kind,
      code: failure.code,
      err: failure.message,
    };
    if (failure.kind === 'fenced') return this.d.options.logger.info(ctx, 'task handed over');
    this.d.metrics.taskFailures.inc({ processor: this.appId, reason: `${stage}_${failure.kind}` });
    this.d.options.logger.warn(ctx, 'task close failed');
  }

  /** Points the consumer back at what Postgres committed (the log start when nothing was). */
  private async seekToCommitted(id: TaskIdentity, nextOffset: string | null): Promise<void> {
    let offset = nextOffset;
    if (offset === null) {
      const offsets = await this.d.admin()!.fetchTopicOffsets(id.topic);
      offset = offsets.find((o) => o.partition === id.partition)?.low ?? '0';
    }
    this.d.consumer()?.seek({ topic: id.topic, partition: id.partition, offset });
  }
}
