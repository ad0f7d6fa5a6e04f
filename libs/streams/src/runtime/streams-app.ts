import { Admin, Consumer, EachBatchPayload } from 'kafkajs';
import { Registry } from 'prom-client';
import { StreamsError } from '../core/errors';
import { RawRecord } from '../core/task';
import { globalWatermark } from '../core/global-watermark';
import { ConsumerCrashes } from './consumer-crashes';
import { streamsMetrics, StreamsMetrics } from './metrics';
import { GlobalStageTimers } from './global-stage-timers';
import { IdleGate } from './idle-gate';
import { OffsetHints } from './offset-hints';
import { StallMonitor } from './stall-monitor';
import { TaskSupervisor } from './task-supervisor';
import { TaskCommitter, withLock } from './task-committer';
import {
  LiveTask,
  resolveOptions,
  ResolvedOptions,
  StreamsAppOptions,
} from './streams-app-options';
import { TaskRegistry } from './task-registry';
import { TaskRepository } from './task-repository';
import { withTimeout } from './timeout';

/**
 * Runs a topology on Kafka with exactly-once effects in Postgres (SPEC §9):
 * consume a batch → process in memory → ONE Postgres transaction with state changes, result rows,
 * outbox messages and the consumed offset (fenced by the task's epoch) → publish the outbox in a
 * Kafka transaction → commit the offset to Kafka too (a hint for lag tools; Postgres is the truth).
 * Any failure after processing drops the task's memory; it is rebuilt from Postgres after a
 * backoff (see TaskSupervisor), and a record Postgres refuses is isolated and dead-lettered, so a
 * partition never stalls on one record.
 */
export class StreamsApp {
  private readonly o: ResolvedOptions;
  private readonly repo: TaskRepository;
  private readonly tasks: TaskRegistry;
  private readonly metrics: StreamsMetrics;
  private readonly supervisor: TaskSupervisor;
  private readonly stall: StallMonitor;
  private readonly idleGate: IdleGate;
  private readonly committer: TaskCommitter;
  private readonly hints: OffsetHints;
  private fetching = false;
  private consumer?: Consumer;
  private admin?: Admin;
  private timer?: NodeJS.Timeout;
  private readonly stages: GlobalStageTimers;
  private running = false;
  private readonly crashes: ConsumerCrashes;
  private punctuating = false;
  /** Partitions the group assigned to this instance, as {topic, partition}. */
  private assigned = new Map<string, { topic: string; partition: number }>();

  constructor(options: StreamsAppOptions) {
    this.o = resolveOptions(options);
    this.repo = new TaskRepository(options.pool);
    this.metrics = streamsMetrics(
      options.registry ?? new Registry(),
      options.metricPrefix ?? 'streams',
    );
    const common = {
      processor: this.applicationId,
      metrics: this.metrics,
      logger: this.o.logger,
      clock: this.o.clock,
    };
    this.supervisor = new TaskSupervisor({ ...common, backoff: this.o.restartBackoff });
    this.stall = new StallMonitor({
      ...common,
      admin: () => this.admin,
      stallAfterMs: this.o.stallAfterMs,
    });
    this.stages = new GlobalStageTimers(this.o.stages ?? [], this.applicationId);
    this.idleGate = new IdleGate({ fetchStaleMs: this.o.fetchStaleMs, clock: this.o.clock });
    // What the committer and the task registry both reach (a failed commit drops its task; a task
    // that closes commits what it processed first).
    const shared = {
      options: this.o,
      repo: this.repo,
      metrics: this.metrics,
      supervisor: this.supervisor,
      stall: this.stall,
      consumer: () => this.consumer,
      stageGroups: (topic: string) => this.stages.groups(topic),
    };
    this.hints = new OffsetHints({
      consumer: () => this.consumer,
      owns: (topic, partition) => this.assigned.has(`${topic}-${partition}`),
      intervalMs: this.o.offsetHintIntervalMs,
      processor: this.applicationId,
      logger: this.o.logger,
      failures: this.metrics.offsetHintFailures,
    });
    this.committer = new TaskCommitter({
      ...shared,
      hints: this.hints,
      running: () => this.running,
      context: (live) => this.tasks.context(live),
      fail: (live, stage, err, range) => this.tasks.fail(live, stage, err, range),
    });
    this.tasks = new TaskRegistry({
      ...shared,
      committer: () => this.committer,
      admin: () => this.admin,
    });
    this.crashes = new ConsumerCrashes(this.o, this.applicationId, this.metrics, {
      running: () => this.running,
      startConsumer: () => this.startConsumer(),
      dropConsumer: async () => {
        await this.consumer?.disconnect().catch(() => undefined);
        await this.tasks.closeAll();
      },
      stop: () => this.stop(),
    });
  }

  /** Why the app stopped for good (e.g. InstanceFencedError), or null while it runs or stopped cleanly. */
  get fatalError(): StreamsError | null {
    return this.crashes.fatalError;
  }

  get applicationId(): string {
    return this.o.topology.applicationId;
  }

  /** Partitions this instance owns right now (topic-partition ids). */
  ownedTasks(): string[] {
    return this.tasks.keys();
  }

  /**
   * The global watermark of `topic` across every instance (SPEC §4), from the watermarks the
   * partitions' owners committed to Postgres.
   */
  async globalWatermark(topic: string): Promise<number | null> {
    const progress = await this.repo.partitionProgress(this.applicationId, topic);
    return globalWatermark(progress, this.o.clock(), this.o.idleTimeoutMs);
  }

  async start(): Promise<void> {
    if (this.crashes.fatalError) throw this.crashes.fatalError;
    this.running = true;
    this.admin = this.o.kafka.admin();
    await this.admin.connect();
    await this.startConsumer();
    this.timer = setInterval(() => void this.punctuateAll(), this.o.punctuateIntervalMs);
    this.timer.unref();
    this.stages.start(
      {
        appId: this.applicationId,
        kafka: this.o.kafka,
        admin: () => this.admin!,
        pool: this.o.pool,
        repo: this.repo,
        idleTimeoutMs: this.o.idleTimeoutMs,
        clock: this.o.clock,
        logger: this.o.logger,
        metrics: this.metrics,
        backoff: this.o.restartBackoff,
      },
      (stage) => this.running && this.assigned.has(`${stage.topic}-0`),
    );
  }

  private async startConsumer(): Promise<void> {
    const consumer = this.o.kafka.consumer({
      groupId: this.applicationId,
      sessionTimeout: this.o.sessionTimeoutMs,
      groupInstanceId: this.o.groupInstanceId,
      heartbeatInterval: this.o.heartbeatIntervalMs,
      maxBytesPerPartition: this.o.maxBytesPerPartition,
      maxWaitTimeInMs: this.o.fetchMaxWaitMs,
      readUncommitted: false,
      allowAutoTopicCreation: false,
    });
    this.consumer = consumer;
    this.idleGate.reset();
    consumer.on(consumer.events.FETCH, () => this.idleGate.fetched());
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) =>
      this.onAssignment(payload.memberAssignment),
    );
    // kafkajs never hands eachBatch a fetch of only markers or aborted records; it only says so here.
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      this.idleGate.batchEnded(`${payload.topic}-${payload.partition}`, payload.highWatermark);
      if (payload.batchSize > 0 || payload.firstOffset === null) return;
      void this.onSkippedBatch(
        payload.topic,
        payload.partition,
        payload.firstOffset,
        payload.lastOffset,
      ).catch((err: Error) =>
        this.o.logger.warn(
          {
            processor: this.applicationId,
            topic: payload.topic,
            partition: payload.partition,
            err: err.message,
          },
          'skipped batch not committed',
        ),
      );
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.idleGate.reset();
      this.crashes.crashed(payload.error, payload.restart);
    });
    await consumer.connect();
    for (const topic of this.o.topology.sources.keys())
      await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      partitionsConsumedConcurrently: this.o.partitionsConsumedConcurrently,
      eachBatch: (payload) => this.onBatch(payload),
    });
  }

  private onAssignment(assignment: Record<string, number[]>): void {
    const assigned = new Map<string, { topic: string; partition: number }>();
    for (const [topic, partitions] of Object.entries(assignment)) {
      for (const partition of partitions)
        assigned.set(`${topic}-${partition}`, { topic, partition });
    }
    this.assigned = assigned;
    this.stall.assigned([...assigned.values()]);
    this.tasks.keepOnly(assigned);
    // Claim new partitions eagerly, so empty and idle ones get ticked and show a watermark.
    for (const { topic, partition } of assigned.values())
      void this.tasks.liveTask(topic, partition);
    this.o.logger.info(
      {
        processor: this.applicationId,
        groupInstanceId: this.o.groupInstanceId,
        assigned: [...assigned.keys()].sort(),
      },
      'partitions assigned',
    );
  }

  private async onBatch({ batch, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    // Markers and aborted records at the end of a batch still move the position (StreamTask.skipTo);
    // a batch of nothing else never gets here (onSkippedBatch).
    if (batch.firstOffset() === null) return;
    const live = await this.tasks.liveTask(batch.topic, batch.partition);
    if (!live) return;
    await withLock(live, async () => {
      if (live.closed || !isRunning() || isStale()) return;
      const resume = live.task.resumeOffset();
      if (resume !== null && BigInt(batch.firstOffset()!) > BigInt(resume)) {
        // Kafka's position is past what Postgres committed (e.g. no Kafka offset yet): go back.
        this.consumer!.seek({ topic: batch.topic, partition: batch.partition, offset: resume });
        return;
      }
      const started = process.hrtime.bigint();
      const records: RawRecord[] = batch.messages.map((m) => ({
        key: m.key,
        value: m.value,
        offset: m.offset,
        headers: m.headers,
      }));
      try {
        // One query per batch for the ids the dedupe does not hold in memory.
        const lookups = live.task.dedupeLookups(records);
        this.tasks.dedupeFilters.observe(live);
        if (lookups.length)
          live.task.learnDuplicates(await this.repo.rememberedIds(live.id, lookups));
      } catch (err) {
        return this.tasks.fail(live, 'dedupe', err);
      }
      try {
        const rest = await this.processIsolated(live, records, heartbeat);
        if (rest === null) return;
        for (let i = 0; i < rest.length; i += this.o.chunkSize) {
          live.task.process(rest.slice(i, i + this.o.chunkSize));
          if (i + this.o.chunkSize < rest.length) await heartbeat();
        }
        live.task.skipTo((BigInt(batch.lastOffset()) + 1n).toString());
      } catch (err) {
        // A bug, or a record an exception handler answered `fail` for (the rest are dead-lettered in the task).
        return this.tasks.fail(live, 'process', err);
      }
      this.metrics.batchDuration.observe(
        { processor: this.applicationId, topic: batch.topic },
        Number(process.hrtime.bigint() - started) / 1e9,
      );
      await this.committer.soon(live);
      await heartbeat();
    });
  }

  /**
   * While the task isolates a refused commit, each record up to the refused range's end is
   * processed and committed on its own, so the one Postgres refuses is known (and quarantined by
   * the supervisor). Returns the records past the range, or null when the task failed meanwhile.
   */
  private async processIsolated(
    live: LiveTask,
    records: RawRecord[],
    heartbeat: () => Promise<void>,
  ): Promise<RawRecord[] | null> {
    const upTo = this.supervisor.isolateUpTo(live.key);
    if (upTo === null || records.length === 0) return records;
    let i = 0;
    for (; i < records.length && BigInt(records[i].offset) <= upTo; i++) {
      const resume = live.task.resumeOffset();
      if (resume !== null && BigInt(records[i].offset) < BigInt(resume)) continue;
      live.task.process([records[i]]);
      await this.committer.enqueue(live);
      await live.inflight;
      if (live.closed) return null;
      await heartbeat();
    }
    if (i < records.length || BigInt(records[records.length - 1].offset) >= upTo)
      this.supervisor.isolationDone(live.key, this.tasks.context(live));
    return records.slice(i);
  }

  /**
   * A fetch of only transaction markers or aborted records still moves the task's position and is
   * committed, like a batch: otherwise a transactional input that ends on a marker (every
   * transaction does) leaves the partition one offset behind its end until more data arrives.
   */
  private async onSkippedBatch(
    topic: string,
    partition: number,
    firstOffset: string,
    lastOffset: string,
  ): Promise<void> {
    if (!this.running || !this.assigned.has(`${topic}-${partition}`)) return;
    const live = await this.tasks.liveTask(topic, partition);
    if (!live) return;
    await withLock(live, async () => {
      if (live.closed) return;
      const resume = live.task.resumeOffset();
      // Kafka's position is past what Postgres committed: go back, as onBatch does.
      if (resume !== null && BigInt(firstOffset) > BigInt(resume))
        return this.consumer!.seek({ topic, partition, offset: resume });
      if (resume !== null && BigInt(lastOffset) < BigInt(resume)) return;
      live.task.skipTo((BigInt(lastOffset) + 1n).toString());
      await this.committer.enqueue(live);
    });
  }

  /** Every tick: rebuilds failed tasks whose backoff ran out, advances idle watermarks, checks for stalls. */
  private async punctuateAll(): Promise<void> {
    if (!this.running) return;
    this.logFetching();
    if (this.punctuating) return;
    this.punctuating = true;
    try {
      // A task dropped after a failure is rebuilt even if its partition gets no new input.
      for (const [key, { topic, partition }] of this.assigned) {
        if (!this.tasks.has(key) && this.supervisor.waitMs(key) === 0)
          void this.tasks.taskFor(topic, partition).catch(() => undefined);
      }
      for (const pending of this.tasks.pending()) {
        const live = await pending;
        if (!live || live.closed) continue;
        await withLock(live, () => this.punctuate(live));
      }
      await this.stall.check();
    } catch (err) {
      this.o.logger.error(
        { processor: this.applicationId, err: (err as Error).message },
        'punctuation failed',
      );
    } finally {
      this.punctuating = false;
    }
  }

  private async punctuate(live: LiveTask): Promise<void> {
    if (live.closed) return;
    let moved: boolean;
    try {
      moved = live.task.punctuate(this.idleGate.readableSince(live.key, live.task.resumeOffset()));
    } catch (err) {
      return this.tasks.fail(live, 'punctuate', err);
    }
    if (moved || this.stateLogDue(live)) return this.committer.enqueue(live);
    return this.committer.cleanOutbox(live);
  }

  /**
   * A quiet task whose state log holds keys that have waited their interval commits them anyway,
   * so the log of a partition whose traffic stopped still empties into stream_state (a busy task's
   * next commit takes them; so does a scheduled one).
   */
  private stateLogDue(live: LiveTask): boolean {
    const now = Date.now();
    return (
      !live.flushScheduled &&
      now - live.lastCommitAt >= this.o.commitIntervalMs &&
      live.stateLog.due(now)
    );
  }

  /** Logs when the consumer stops and starts fetching: meanwhile no partition turns idle. */
  private logFetching(): void {
    const fetching = this.idleGate.fetching();
    if (fetching === this.fetching) return;
    this.fetching = fetching;
    const ctx = { processor: this.applicationId, fetchStaleMs: this.o.fetchStaleMs };
    if (fetching) this.o.logger.info(ctx, 'consumer fetching: idle partitions may advance');
    else this.o.logger.warn(ctx, 'consumer not fetching: idle partitions held');
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    await this.stages.close();
    // The last hints while the consumer is still in its group; a broker away must not hold up the
    // shutdown (kafkajs would retry for minutes), and a hint is only a hint.
    await withTimeout(this.hints.flush(), 2000, 'last offset hints').catch(() => undefined);
    this.hints.close();
    await this.consumer?.disconnect().catch(() => undefined);
    await this.tasks.closeAll();
    await this.admin?.disconnect().catch(() => undefined);
  }
}
