import { Admin, Kafka } from 'kafkajs';
import { Pool, PoolClient } from 'pg';
import { globalWatermark } from '../core/global-watermark';
import { OutboxMessage } from '../core/task';
import { restartDelayMs, RestartBackoffOptions } from './backoff';
import { TaskFencedError } from './errors';
import { classifyFailure } from './failure';
import { StreamsLogger } from './logger';
import { StreamsMetrics } from './metrics';
import { claimOwnership } from './outbox-claim';
import { OutboxPublisher } from './outbox-publisher';
import { withClient } from './pg-client';
import { TaskIdentity, TaskRepository } from './task-repository';

/** A message a stage publishes. */
export interface StageMessage {
  topic: string;
  key: string | null;
  value: string;
}

/** What a stage's `due` check sees: no transaction and no lock, so it must only read. */
export interface GlobalStageDueContext {
  db: Pick<Pool, 'query'>;
  /** Global watermark from the partitions' committed progress, read without the stage's lock. */
  globalWatermark: number | null;
  now: number;
}

export interface GlobalStageContext {
  /** The stage's own transaction: read partial results, write final ones. */
  client: PoolClient;
  /** Global watermark of the stage's topic (SPEC §4); null while it is not known yet. */
  globalWatermark: number | null;
  now: number;
}

/**
 * Work that spans every partition (final global windows, global rules), done exactly once.
 * The instance that owns partition 0 of `topic` runs it on a timer. Each run is one Postgres
 * transaction fenced by the stage's own epoch: whatever `run` reads and writes through the client
 * commits together with the messages it returns (an outbox), which are then published in a Kafka
 * transaction with a checkpoint, as a task's are. A new owner fences the old one, so a run's
 * results are never applied or published twice.
 */
export interface GlobalStage {
  name: string;
  topic: string;
  /** Default 1000 ms. */
  intervalMs?: number;
  /**
   * Optional cheap check before the fenced transaction: false skips this step. The transaction locks
   * the stage's row, which every task commit of the topic reads FOR SHARE, so a step that would find
   * nothing to do still stalls them (measured: most aggregator and fraud commit time under live
   * traffic). A false negative only delays the work to the next step; a stale true runs as before.
   */
  due?(ctx: GlobalStageDueContext): Promise<boolean>;
  run(ctx: GlobalStageContext): Promise<StageMessage[]>;
}

interface OpenStage {
  id: TaskIdentity;
  epoch: string;
  nextSeq: number;
  /** Outbox rows below this seq are deleted (0 after a claim: not known). */
  cleanedBelow: number;
  publisher: OutboxPublisher;
}

/** What a global stage's runner reaches of its app. */
export interface GlobalStageDeps {
  appId: string;
  kafka: Kafka;
  admin: () => Admin;
  pool: Pool;
  repo: TaskRepository;
  idleTimeoutMs: number;
  clock: () => number;
  logger: StreamsLogger;
  metrics: StreamsMetrics;
  backoff: RestartBackoffOptions;
}

/** Runs one GlobalStage for a StreamsApp; see GlobalStage. */
export class GlobalStageRunner {
  private open?: OpenStage;
  private running = false;
  private partitionCount?: { n: number; at: number };
  /** Consecutive failed steps, and the wall-clock ms before which no step runs. */
  private failures = 0;
  private notBefore = 0;

  constructor(
    private readonly stage: GlobalStage,
    private readonly deps: GlobalStageDeps,
  ) {}

  get identity(): TaskIdentity {
    return {
      appId: `${this.deps.appId}#${this.stage.name}`,
      topic: this.stage.topic,
      partition: 0,
    };
  }

  /** One step; `owner`: whether this instance owns partition 0 of the stage's topic right now. */
  async tick(owner: boolean): Promise<void> {
    if (this.running) return;
    if (owner && this.deps.clock() < this.notBefore) return;
    this.running = true;
    try {
      if (!owner) return await this.close();
      const open = this.open ?? (await this.claim());
      await this.step(open);
      this.failures = 0;
    } catch (err) {
      // Backs off like a task (capped, jittered): a stage that fails every second would re-claim every second.
      const failure = classifyFailure(err);
      const delay = restartDelayMs(++this.failures, this.deps.backoff);
      this.notBefore = this.deps.clock() + delay;
      this.deps.metrics.taskFailures.inc({
        processor: this.deps.appId,
        reason: `stage_${failure.kind}`,
      });
      const fenced = err instanceof TaskFencedError;
      this.deps.logger[fenced ? 'warn' : 'error'](
        {
          processor: this.deps.appId,
          stage: this.stage.name,
          reason: failure.kind,
          code: failure.code,
          err: failure.message,
          attempt: this.failures,
          retryInMs: delay,
        },
        fenced ? 'stage fenced' : 'stage step failed',
      );
      await this.close();
    } finally {
      this.running = false;
    }
  }

  private async claim(): Promise<OpenStage> {
    const id = this.identity;
    const { repo, kafka, admin, logger } = this.deps;
    const { claimed, publisher } = await claimOwnership({
      repo,
      id,
      claim: () => repo.claim(id),
      prepare: () => undefined,
      publisher: () => new OutboxPublisher(kafka, admin(), id, { logger }),
    });
    this.open = { id, epoch: claimed.epoch, nextSeq: claimed.nextSeq, cleanedBelow: 0, publisher };
    logger.info(
      { processor: this.deps.appId, stage: this.stage.name, epoch: claimed.epoch },
      'stage claimed',
    );
    return this.open;
  }

  /**
   * Reads the partitions' committed watermarks inside the stage's transaction (after its row lock),
   * runs the stage, and records the global watermark it acted on as the stage's own watermark: the
   * floor below which tasks may no longer accept records (see TaskRepository.commit).
   */
  private async step(open: OpenStage): Promise<void> {
    const now = this.deps.clock();
    const partitions = await this.partitions(now);
    // A step also deletes the outbox rows the last one published, so it is due until they are gone.
    const clean = open.cleanedBelow >= open.nextSeq;
    if (this.stage.due && clean && !(await this.isDue(partitions, now))) return;
    const { id } = open;
    const outbox = await this.transaction(open, async (client) => {
      const gw = await this.readGlobalWatermark(client, partitions, now);
      const messages = await this.stage.run({ client, globalWatermark: gw, now });
      if (gw !== null) {
        await client.query(
          `UPDATE stream_offsets SET watermark = GREATEST(COALESCE(watermark, $4::bigint), $4::bigint)
            WHERE group_id = $1 AND topic = $2 AND partition = $3`,
          [id.appId, id.topic, id.partition, gw],
        );
      }
      return messages;
    });
    await open.publisher.publish(outbox);
  }

  private async isDue(partitions: number, now: number): Promise<boolean> {
    const { pool } = this.deps;
    const globalWm = await this.readGlobalWatermark(pool, partitions, now);
    return this.stage.due!({ db: pool, globalWatermark: globalWm, now });
  }

  /** The topic's global watermark from the partitions' committed progress, read through `db`. */
  private async readGlobalWatermark(
    db: Pick<Pool, 'query'>,
    partitions: number,
    now: number,
  ): Promise<number | null> {
    const progress = await this.deps.repo.partitionProgress(this.deps.appId, this.stage.topic, db);
    return globalWatermark(progress, now, this.deps.idleTimeoutMs, partitions);
  }

  /** The stage's run plus its outbox rows, in one transaction fenced by the stage's epoch. */
  private async transaction(
    open: OpenStage,
    run: (client: PoolClient) => Promise<StageMessage[]>,
  ): Promise<OutboxMessage[]> {
    const { id } = open;
    return withClient(this.deps.pool, async (client) => {
      try {
        await client.query('BEGIN');
        await this.deps.repo.fence(client, id, open.epoch);
        const messages = await run(client);
        const outbox = messages.map((m, i) => ({ seq: open.nextSeq + i, ...m }));
        const confirmed = open.publisher.confirmedBelow;
        await this.deps.repo.appendOutbox(client, id, outbox, confirmed);
        await client.query('COMMIT');
        open.nextSeq += outbox.length;
        open.cleanedBelow = confirmed;
        return outbox;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  /** The topic's partition count, refreshed every 30 s (partitions can be added). */
  private async partitions(now: number): Promise<number> {
    if (this.partitionCount && now - this.partitionCount.at < 30_000) return this.partitionCount.n;
    const meta = await this.deps.admin().fetchTopicMetadata({ topics: [this.stage.topic] });
    const n = meta.topics[0]?.partitions.length ?? 0;
    this.partitionCount = { n, at: now };
    return n;
  }

  async close(): Promise<void> {
    const open = this.open;
    this.open = undefined;
    await open?.publisher.close();
  }
}
