import { Admin, Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { Pool } from 'pg';
import { Registry } from 'prom-client';
import { RawRecord, StreamTask, TaskCommit } from '../core/task';
import { Topology } from '../core/topology';
import { globalWatermark } from '../core/global-watermark';
import { backoffMs, sleep } from './backoff';
import { TaskFencedError, WatermarkFloorMovedError } from './errors';
import { StreamsMetrics } from './metrics';
import { GlobalStage, GlobalStageRunner } from './global-stage';
import { OutboxPublisher } from './outbox-publisher';
import { TaskIdentity, TaskRepository } from './task-repository';

export interface StreamsLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

const silentLogger: StreamsLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

export interface StreamsAppOptions {
  topology: Topology;
  kafka: Kafka;
  pool: Pool;
  /** Allowed lateness (SPEC §4), default 2 min. */
  allowedLatenessMs?: number;
  /** A partition without input for this long is idle (SPEC §4), default 30 s. */
  idleTimeoutMs?: number;
  lateTopic?: string;
  deadLetterTopic?: string;
  /** Retries of a failing record before it is dead-lettered, default 2. */
  maxRetries?: number;
  /** How often idle partitions are ticked, default 1 s. */
  punctuateIntervalMs?: number;
  /** Records processed between heartbeats within one batch, default 5000. */
  chunkSize?: number;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  maxBytesPerPartition?: number;
  registry?: Registry;
  /** Metric name prefix, e.g. the service name. */
  metricPrefix?: string;
  logger?: StreamsLogger;
  clock?: () => number;
  /** Cross-partition work done exactly once by the owner of a topic's partition 0 (see GlobalStage). */
  stages?: GlobalStage[];
}

interface LiveTask {
  id: TaskIdentity;
  task: StreamTask;
  epoch: string;
  publisher: OutboxPublisher;
  /** Serialises batches and punctuation of one task. */
  lock: Promise<unknown>;
  /** Outbox rows below this seq are known deleted from Postgres. */
  deletedBelow: number;
  /** The commit of the previous batch, still running while the next batch is processed. */
  inflight: Promise<void>;
  closed: boolean;
}

/**
 * Runs a topology on Kafka with exactly-once effects in Postgres (SPEC §9):
 * consume a batch → process in memory → ONE Postgres transaction with state changes, result rows,
 * outbox messages and the consumed offset (fenced by the task's epoch) → publish the outbox in a
 * Kafka transaction → commit the offset to Kafka too (a hint for lag tools; Postgres is the truth).
 * Any failure after processing drops the task; its next batch rebuilds it from Postgres.
 */
export class StreamsApp {
  private readonly o: Required<Omit<StreamsAppOptions, 'lateTopic' | 'deadLetterTopic' | 'registry' | 'metricPrefix' | 'stages'>> &
    Pick<StreamsAppOptions, 'lateTopic' | 'deadLetterTopic' | 'stages'>;
  private readonly repo: TaskRepository;
  private readonly tasks = new Map<string, Promise<LiveTask>>();
  private readonly metrics: StreamsMetrics;
  private consumer?: Consumer;
  private admin?: Admin;
  private timer?: NodeJS.Timeout;
  private readonly stageTimers: NodeJS.Timeout[] = [];
  private readonly stageRunners: GlobalStageRunner[] = [];
  private running = false;
  private restarting = false;
  /** Tasks dropped after a failure: Kafka's position may be past Postgres, so reopening seeks back. */
  private readonly reopen = new Set<string>();
  /** Partitions the group assigned to this instance, as {topic, partition}. */
  private assigned = new Map<string, { topic: string; partition: number }>();

  constructor(options: StreamsAppOptions) {
    this.o = {
      allowedLatenessMs: 120_000,
      idleTimeoutMs: 30_000,
      maxRetries: 2,
      punctuateIntervalMs: 1000,
      chunkSize: 5000,
      sessionTimeoutMs: 30_000,
      heartbeatIntervalMs: 3000,
      maxBytesPerPartition: 1_048_576,
      logger: silentLogger,
      clock: Date.now,
      ...options,
    };
    this.repo = new TaskRepository(options.pool);
    this.metrics = new StreamsMetrics(options.registry ?? new Registry(), options.metricPrefix ?? 'streams');
  }

  get applicationId(): string {
    return this.o.topology.applicationId;
  }

  /** Partitions this instance owns right now (topic-partition ids). */
  ownedTasks(): string[] {
    return [...this.tasks.keys()];
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
    this.running = true;
    this.admin = this.o.kafka.admin();
    await this.admin.connect();
    await this.startConsumer();
    this.timer = setInterval(() => void this.punctuateAll(), this.o.punctuateIntervalMs);
    this.timer.unref();
    for (const stage of this.o.stages ?? []) this.startStage(stage);
  }

  /** The Postgres group ids of the global stages driven by `topic`. */
  private stageGroups(topic: string): string[] {
    return (this.o.stages ?? []).filter((s) => s.topic === topic).map((s) => `${this.applicationId}#${s.name}`);
  }

  private startStage(stage: GlobalStage): void {
    const runner = new GlobalStageRunner(stage, {
      appId: this.applicationId,
      kafka: this.o.kafka,
      admin: () => this.admin!,
      pool: this.o.pool,
      repo: this.repo,
      idleTimeoutMs: this.o.idleTimeoutMs,
      clock: this.o.clock,
      logger: this.o.logger,
    });
    this.stageRunners.push(runner);
    const timer = setInterval(() => void runner.tick(this.running && this.assigned.has(`${stage.topic}-0`)), stage.intervalMs ?? 1000);
    timer.unref();
    this.stageTimers.push(timer);
  }

  private async startConsumer(): Promise<void> {
    const consumer = this.o.kafka.consumer({
      groupId: this.applicationId,
      sessionTimeout: this.o.sessionTimeoutMs,
      heartbeatInterval: this.o.heartbeatIntervalMs,
      maxBytesPerPartition: this.o.maxBytesPerPartition,
      readUncommitted: false,
      allowAutoTopicCreation: false,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => this.onAssignment(payload.memberAssignment));
    // kafkajs never hands eachBatch a fetch of only markers or aborted records; it only says so here.
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      if (payload.batchSize > 0 || payload.firstOffset === null) return;
      void this.onSkippedBatch(payload.topic, payload.partition, payload.firstOffset, payload.lastOffset).catch((err: Error) =>
        this.o.logger.warn({ topic: payload.topic, partition: payload.partition, err: err.message }, 'skipped batch not committed'),
      );
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.o.logger.error({ err: payload.error.message, restart: payload.restart }, 'consumer crashed');
      if (!payload.restart) void this.restartConsumer();
    });
    await consumer.connect();
    for (const topic of this.o.topology.sources.keys()) await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      partitionsConsumedConcurrently: 1,
      eachBatch: (payload) => this.onBatch(payload),
    });
  }

  /** kafkajs gave up on the consumer: build a new one after a jittered pause. */
  private async restartConsumer(): Promise<void> {
    if (this.restarting || !this.running) return;
    this.restarting = true;
    try {
      await this.consumer?.disconnect().catch(() => undefined);
      await this.closeAll();
      for (let attempt = 0; this.running; attempt++) {
        await sleep(backoffMs(attempt, 500, 15_000));
        try {
          await this.startConsumer();
          return;
        } catch (err) {
          this.o.logger.warn({ err: (err as Error).message, attempt }, 'consumer restart failed');
        }
      }
    } finally {
      this.restarting = false;
    }
  }

  private onAssignment(assignment: Record<string, number[]>): void {
    const assigned = new Map<string, { topic: string; partition: number }>();
    for (const [topic, partitions] of Object.entries(assignment)) {
      for (const partition of partitions) assigned.set(`${topic}-${partition}`, { topic, partition });
    }
    this.assigned = assigned;
    for (const id of [...this.tasks.keys()]) if (!assigned.has(id)) void this.closeTask(id);
    // Claim new partitions eagerly, so empty and idle ones get ticked and show a watermark.
    for (const [topic, partitions] of Object.entries(assignment)) {
      for (const p of partitions) void this.taskFor(topic, p).catch(() => undefined);
    }
    this.o.logger.info({ assigned: [...assigned.keys()].sort() }, 'partitions assigned');
  }

  private taskFor(topic: string, partition: number): Promise<LiveTask> {
    const key = `${topic}-${partition}`;
    let t = this.tasks.get(key);
    if (!t) {
      t = this.openTask({ appId: this.applicationId, topic, partition });
      this.tasks.set(key, t);
      t.catch(() => this.tasks.get(key) === t && this.tasks.delete(key));
    }
    return t;
  }

  /** Claims the task in Postgres, restores it, fences the old publisher and finishes its outbox. */
  private async openTask(id: TaskIdentity): Promise<LiveTask> {
    const claimed = await this.repo.claim(id);
    const task = new StreamTask(
      this.o.topology,
      id.topic,
      id.partition,
      {
        applicationId: this.applicationId,
        allowedLatenessMs: this.o.allowedLatenessMs,
        idleTimeoutMs: this.o.idleTimeoutMs,
        lateTopic: this.o.lateTopic,
        deadLetterTopic: this.o.deadLetterTopic,
        maxRetries: this.o.maxRetries,
        clock: this.o.clock,
      },
      claimed,
    );
    // A partition left out of the global watermark (idle or empty) must not change what a stage
    // already finalised: it resumes with its watermark at least at the stages' floor.
    const floor = await this.repo.watermarkFloor(this.stageGroups(id.topic), id.topic);
    if (floor !== null) task.raiseWatermarkTo(floor);
    const publisher = new OutboxPublisher(this.o.kafka, this.admin!, id);
    try {
      const from = await publisher.init();
      const pending = await this.repo.pendingOutbox(id, from);
      const published = await publisher.publish(pending);
      this.o.logger.info(
        { task: `${id.topic}-${id.partition}`, epoch: claimed.epoch, resumeOffset: claimed.nextOffset, republished: published },
        'task restored',
      );
    } catch (err) {
      await publisher.close();
      throw err;
    }
    if (this.reopen.delete(`${id.topic}-${id.partition}`)) await this.seekToCommitted(id, claimed.nextOffset);
    return { id, task, epoch: claimed.epoch, publisher, lock: Promise.resolve(), closed: false, deletedBelow: 0, inflight: Promise.resolve() };
  }

  private async closeTask(key: string): Promise<void> {
    const t = this.tasks.get(key);
    this.tasks.delete(key);
    const live = await t?.catch(() => undefined);
    if (!live) return;
    await live.lock.catch(() => undefined);
    await live.inflight;
    live.closed = true;
    await live.publisher.close();
  }

  private async closeAll(): Promise<void> {
    await Promise.all([...this.tasks.keys()].map((k) => this.closeTask(k)));
  }

  private withLock<T>(t: LiveTask, fn: () => Promise<T>): Promise<T> {
    const run = t.lock.then(fn, fn);
    t.lock = run.catch(() => undefined);
    return run;
  }

  private async onBatch({ batch, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    // Markers and aborted records at the end of a batch still move the position (StreamTask.skipTo);
    // a batch of nothing else never gets here (onSkippedBatch).
    if (batch.firstOffset() === null) return;
    const live = await this.taskFor(batch.topic, batch.partition);
    await this.withLock(live, async () => {
      if (live.closed || !isRunning() || isStale()) return;
      const resume = live.task.resumeOffset();
      if (resume !== null && BigInt(batch.firstOffset()!) > BigInt(resume)) {
        // Kafka's position is past what Postgres committed (e.g. no Kafka offset yet): go back.
        this.consumer!.seek({ topic: batch.topic, partition: batch.partition, offset: resume });
        return;
      }
      const started = process.hrtime.bigint();
      const records: RawRecord[] = batch.messages.map((m) => ({ key: m.key, value: m.value, offset: m.offset }));
      try {
        for (let i = 0; i < records.length; i += this.o.chunkSize) {
          live.task.process(records.slice(i, i + this.o.chunkSize));
          if (i + this.o.chunkSize < records.length) await heartbeat();
        }
        live.task.skipTo((BigInt(batch.lastOffset()) + 1n).toString());
      } catch (err) {
        // A bug, not a poison record (those are dead-lettered inside the task).
        await this.fail(live, err);
        throw err;
      }
      this.metrics.batchDuration.observe({ processor: this.applicationId, topic: batch.topic }, Number(process.hrtime.bigint() - started) / 1e9);
      await this.enqueueCommit(live);
      await heartbeat();
    });
  }

  /**
   * A fetch of only transaction markers or aborted records still moves the task's position and is
   * committed, like a batch: otherwise a transactional input that ends on a marker (every
   * transaction does) leaves the partition one offset behind its end until more data arrives.
   */
  private async onSkippedBatch(topic: string, partition: number, firstOffset: string, lastOffset: string): Promise<void> {
    if (!this.running || !this.assigned.has(`${topic}-${partition}`)) return;
    const live = await this.taskFor(topic, partition);
    await this.withLock(live, async () => {
      if (live.closed) return;
      const resume = live.task.resumeOffset();
      // Kafka's position is past what Postgres committed: go back, as onBatch does.
      if (resume !== null && BigInt(firstOffset) > BigInt(resume)) return this.consumer!.seek({ topic, partition, offset: resume });
      if (resume !== null && BigInt(lastOffset) < BigInt(resume)) return;
      live.task.skipTo((BigInt(lastOffset) + 1n).toString());
      await this.enqueueCommit(live);
    });
  }

  /**
   * Commits what the task changed, after the previous commit of the same task landed. The commit
   * runs while kafkajs hands us the next batch (of any partition): CPU-bound processing overlaps
   * the Postgres and Kafka round trips, and at most one commit per task is in flight.
   */
  private async enqueueCommit(live: LiveTask): Promise<void> {
    await live.inflight;
    if (live.closed) return;
    const c = live.task.takeCommit();
    live.inflight = this.commit(live, c).catch((err) => this.fail(live, err));
  }

  /** Postgres first (the truth), then Kafka; then the offset hint for lag tools. */
  private async commit(live: LiveTask, c: TaskCommit): Promise<void> {
    const labels = { processor: this.applicationId, topic: live.id.topic, partition: String(live.id.partition) };
    const t0 = process.hrtime.bigint();
    await this.repo.commit(live.id, live.epoch, c, live.publisher.confirmedBelow, this.stageGroups(live.id.topic));
    live.deletedBelow = live.publisher.confirmedBelow;
    this.metrics.commitDuration.observe({ processor: this.applicationId }, Number(process.hrtime.bigint() - t0) / 1e9);
    await live.publisher.publish(c.outbox);
    this.metrics.processed.inc(labels, c.processed);
    if (c.late) this.metrics.late.inc(labels, c.late);
    if (c.deadLettered) this.metrics.deadLettered.inc(labels, c.deadLettered);
    if (c.watermark.watermark !== null) this.metrics.watermarkLag.set(labels, (this.o.clock() - c.watermark.watermark) / 1000);
    if (c.nextOffset !== null) {
      await this.consumer
        ?.commitOffsets([{ topic: live.id.topic, partition: live.id.partition, offset: c.nextOffset }])
        .catch((err: Error) => this.o.logger.warn({ err: err.message }, 'kafka offset hint not committed'));
    }
  }

  /** The task's memory may be ahead of Postgres now: drop it; the next batch rebuilds it. */
  private async fail(live: LiveTask, err: unknown): Promise<void> {
    const key = `${live.id.topic}-${live.id.partition}`;
    const expected = err instanceof TaskFencedError || err instanceof WatermarkFloorMovedError;
    this.o.logger[expected ? 'warn' : 'error']({ task: key, err: (err as Error).message }, expected ? 'task rebuilt' : 'task failed');
    live.closed = true;
    if (this.tasks.has(key)) this.tasks.delete(key);
    this.reopen.add(key);
    await live.publisher.close();
  }

  /** Points the consumer back at what Postgres committed (the log start when nothing was). */
  private async seekToCommitted(id: TaskIdentity, nextOffset: string | null): Promise<void> {
    let offset = nextOffset;
    if (offset === null) {
      const offsets = await this.admin!.fetchTopicOffsets(id.topic);
      offset = offsets.find((o) => o.partition === id.partition)?.low ?? '0';
    }
    this.consumer?.seek({ topic: id.topic, partition: id.partition, offset });
  }

  private async punctuateAll(): Promise<void> {
    // A task dropped after a failure is rebuilt even if its partition gets no new input.
    for (const [key, { topic, partition }] of this.assigned) {
      if (!this.tasks.has(key)) void this.taskFor(topic, partition).catch(() => undefined);
    }
    for (const pending of [...this.tasks.values()]) {
      const live = await pending.catch(() => undefined);
      if (!live || live.closed) continue;
      await this.withLock(live, async () => {
        if (live.closed) return;
        if (!live.task.punctuate()) return this.cleanOutbox(live);
        await this.enqueueCommit(live);
      });
    }
  }

  /** A quiet task still deletes what its last publish confirmed, keeping the outbox table empty. */
  private async cleanOutbox(live: LiveTask): Promise<void> {
    await live.inflight;
    const below = live.publisher.confirmedBelow;
    if (below <= live.deletedBelow) return;
    await this.repo.deletePublished(live.id, below).then(
      () => (live.deletedBelow = below),
      (err: Error) => this.o.logger.warn({ err: err.message }, 'outbox cleanup failed'),
    );
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    for (const t of this.stageTimers) clearInterval(t);
    await Promise.all(this.stageRunners.map((r) => r.close()));
    await this.consumer?.disconnect().catch(() => undefined);
    await this.closeAll();
    await this.admin?.disconnect().catch(() => undefined);
  }
}
