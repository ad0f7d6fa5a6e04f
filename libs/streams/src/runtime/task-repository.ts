import { createHash } from 'node:crypto';
import { Pool, PoolClient } from 'pg';
import { DedupeEntry } from '../core/dedupe';
import { OutboxMessage, TaskCommit, TaskRestore } from '../core/task';
import { WatermarkState } from '../core/watermark';
import { PartitionProgress } from '../core/global-watermark';
import { TaskFencedError, WatermarkFloorMovedError } from './errors';
import { textArrayParam } from './pg-array-param';
import {
  decodeStateValue,
  dedupeCtes,
  outboxCtes,
  outboxRows,
  stateCtes,
  stateLogCtes,
  Statement,
  tableCtes,
} from './commit-sql';
import { withClient } from './pg-client';
import {
  EMPTY_STATE_LOG,
  replayStateLog,
  StateChangelog,
  StateLogRestore,
} from './state-changelog';

export interface TaskIdentity {
  appId: string;
  topic: string;
  partition: number;
}

export interface ClaimedTask extends TaskRestore {
  epoch: string;
  /** What the task's state log holds beyond `stream_state` (the task's StateChangelog starts from it). */
  stateLog: StateLogRestore;
  /** What the restore read: `stream_state` rows, and state log rows with their bytes. */
  restored: { stateRows: number; logRows: number; logBytes: number };
}

/**
 * The dedupe's lookup: one primary-key probe per asked id (probes from a join on the ids beat
 * `id = ANY($2)`: BENCHMARKS.md, 2026-12-04). A named statement, so a connection parses it once
 * and, after five runs, keeps one generic plan instead of planning every batch (planning cost
 * about half as much as running it). The LATERAL subquery with LIMIT is what makes that generic
 * plan safe: a plain join of the ids, planned while the store was small, became a hash join over
 * all of the task's rows, kept for every later batch (10 ms a lookup instead of 0.15; BENCHMARKS.md,
 * "The dedupe's lookup planned once"). Here the planner can only probe the key.
 */
export const DEDUPE_LOOKUP_SQL = `SELECT d.id, d.fingerprint, d.event_time
  FROM unnest($2::text[]) AS asked(id)
  CROSS JOIN LATERAL (
    SELECT id, fingerprint, event_time FROM stream_dedupe
     WHERE task = $1 AND id = asked.id
     LIMIT 1) AS d`;

/**
 * Postgres side of a task: claim (fencing epoch), restore, and the one-transaction commit of state
 * changes, result rows, outbox messages and the consumed offset. Every statement is multi-row and
 * parameterised (arrays through unnest), so a batch costs a handful of round trips.
 */
export class TaskRepository {
  constructor(private readonly pool: Pool) {}

  /** Takes ownership of a task: bumps its epoch, so commits of a previous owner fail. */
  async claim(t: TaskIdentity): Promise<ClaimedTask> {
    return this.restore(
      t,
      `INSERT INTO stream_offsets (group_id, topic, partition, next_offset, epoch)
       VALUES ($1, $2, $3, NULL, 1)
       ON CONFLICT (group_id, topic, partition) DO UPDATE SET epoch = stream_offsets.epoch + 1, updated_at = now()
       RETURNING epoch, next_offset, next_seq, watermark_state`,
      [t.appId, t.topic, t.partition],
    );
  }

  /**
   * Reloads a task this instance still owns (same epoch), after a failed commit: the state as
   * Postgres has it. The UPDATE takes the offsets row lock, so a commit of ours still running on the
   * server (its client gave up) has finished before the state is read. Throws TaskFencedError when
   * the epoch moved on.
   */
  async reload(t: TaskIdentity, epoch: string): Promise<ClaimedTask> {
    return this.restore(
      t,
      `UPDATE stream_offsets SET updated_at = now()
        WHERE group_id = $1 AND topic = $2 AND partition = $3 AND epoch = $4
       RETURNING epoch, next_offset, next_seq, watermark_state`,
      [t.appId, t.topic, t.partition, epoch],
    );
  }

  private async restore(
    t: TaskIdentity,
    offsetsSql: string,
    params: unknown[],
  ): Promise<ClaimedTask> {
    return withClient(this.pool, async (client) => {
      const { rows } = await client.query<{
        epoch: string;
        next_offset: string | null;
        next_seq: string;
        watermark_state: WatermarkState | null;
      }>(offsetsSql, params);
      if (rows.length === 0) throw new TaskFencedError(`${t.appId}/${t.topic}-${t.partition}`);
      const task = [t.appId, t.topic, t.partition];
      const base = await client.query<{ store: string; key: string; value: Buffer }>(
        `SELECT store, key, value FROM stream_state WHERE app_id = $1 AND topic = $2 AND partition = $3`,
        task,
      );
      const log = await client.query<{ seq: string; changes: Buffer }>(
        `SELECT seq, changes FROM stream_state_log WHERE app_id = $1 AND topic = $2 AND partition = $3 ORDER BY seq`,
        task,
      );
      const replayed = replayStateLog(
        base.rows,
        log.rows.map((r) => ({ seq: Number(r.seq), changes: r.changes })),
      );
      const stores = new Map<string, Array<[string, unknown]>>();
      for (const [store, entries] of replayed.stores)
        if (entries.size)
          stores.set(
            store,
            [...entries].map(([key, value]) => [key, decodeStateValue(value)]),
          );
      const row = rows[0];
      return {
        epoch: row.epoch,
        nextOffset: row.next_offset,
        nextSeq: Number(row.next_seq),
        watermark: row.watermark_state,
        stores,
        stateLog: replayed.log,
        restored: {
          stateRows: base.rows.length,
          logRows: log.rows.length,
          logBytes: log.rows.reduce((sum, r) => sum + r.changes.length, 0),
        },
      };
    });
  }

  /**
   * The remembered ids among `ids` (the source's dedupe), with their content hash and event time:
   * one key probe per id (DEDUPE_LOOKUP_SQL).
   */
  async rememberedIds(t: TaskIdentity, ids: string[]): Promise<Array<[string, DedupeEntry]>> {
    const { rows } = await this.pool.query<{ id: string; fingerprint: string; event_time: string }>(
      {
        name: 'streams-dedupe-lookup',
        text: DEDUPE_LOOKUP_SQL,
        values: [dedupeTask(t), textArrayParam(ids)],
      },
    );
    return rows.map((r) => [
      r.id,
      { fingerprint: Number(r.fingerprint), eventTime: Number(r.event_time) },
    ]);
  }

  /**
   * One page of the ids the task's dedupe store holds, in key order after `after` (null: from the
   * first), with their event times: what the task's filter is loaded from (keyset paging on the
   * primary key, so each page is an index range scan however large the store).
   */
  async rememberedIdsPage(
    t: TaskIdentity,
    after: string | null,
    limit: number,
  ): Promise<Array<[string, number]>> {
    const { rows } = await this.pool.query<{ id: string; event_time: string }>(
      `SELECT id, event_time FROM stream_dedupe
        WHERE task = $1 AND id ${after === null ? '>=' : '>'} $2 ORDER BY id LIMIT $3`,
      [dedupeTask(t), after ?? '', limit],
    );
    return rows.map((r) => [r.id, Number(r.event_time)]);
  }

  /** Committed watermarks of every partition of `topic`, for the global watermark. */
  async partitionProgress(
    appId: string,
    topic: string,
    db: Pick<Pool, 'query'> = this.pool,
  ): Promise<PartitionProgress[]> {
    const { rows } = await db.query<{
      partition: number;
      watermark: string | null;
      idle_to: string | null;
    }>(
      `SELECT partition, watermark, watermark_state->>'idleAdvancedTo' AS idle_to
         FROM stream_offsets WHERE group_id = $1 AND topic = $2`,
      [appId, topic],
    );
    return rows.map((r) => ({
      partition: r.partition,
      watermark: r.watermark === null ? null : Number(r.watermark),
      idleAdvancedTo: r.idle_to === null ? null : Number(r.idle_to),
    }));
  }

  /** Removes outbox rows confirmed on Kafka (also done inside every commit). */
  async deletePublished(t: TaskIdentity, publishedBelow: number): Promise<void> {
    await this.pool.query(
      `DELETE FROM stream_outbox WHERE app_id = $1 AND topic = $2 AND partition = $3 AND seq < $4`,
      [t.appId, t.topic, t.partition, publishedBelow],
    );
  }

  /** Outbox rows not yet confirmed as published, in sequence order. */
  async pendingOutbox(t: TaskIdentity, fromSeq: number): Promise<OutboxMessage[]> {
    const { rows } = await this.pool.query<{
      seq: string;
      target_topic: string;
      key: string | null;
      value: string;
    }>(
      `SELECT seq, target_topic, key, value FROM stream_outbox
        WHERE app_id = $1 AND topic = $2 AND partition = $3 AND seq >= $4 ORDER BY seq`,
      [t.appId, t.topic, t.partition, fromSeq],
    );
    return rows.map((r) => ({
      seq: Number(r.seq),
      topic: r.target_topic,
      key: r.key,
      value: r.value,
    }));
  }

  /**
   * Within `client`'s open transaction: locks the task's offsets row if `epoch` still owns it, so a
   * second owner (during a rebalance) waits, then fails here. Global stages, whose work is more than
   * one statement, fence with this; task commits fence inside their one statement.
   */
  async fence(client: PoolClient, t: TaskIdentity, epoch: string): Promise<void> {
    const fenced = await client.query(
      `UPDATE stream_offsets SET updated_at = now() WHERE group_id = $1 AND topic = $2 AND partition = $3 AND epoch = $4`,
      [t.appId, t.topic, t.partition, epoch],
    );
    if (fenced.rowCount !== 1) throw new TaskFencedError(`${t.appId}/${t.topic}`);
  }

  /**
   * Within `client`'s fenced transaction: deletes outbox rows below `publishedBelow` and appends
   * `messages` (numbered from their seq), moving the task's next_seq past them.
   */
  async appendOutbox(
    client: PoolClient,
    t: TaskIdentity,
    messages: OutboxMessage[],
    publishedBelow: number,
  ): Promise<void> {
    await client.query(
      `DELETE FROM stream_outbox WHERE app_id = $1 AND topic = $2 AND partition = $3 AND seq < $4`,
      [t.appId, t.topic, t.partition, publishedBelow],
    );
    if (!messages.length) return;
    const q = new Statement();
    const [app, topic, partition] = [t.appId, t.topic, t.partition].map((v) => q.add(v));
    await client.query(
      `INSERT INTO stream_outbox (app_id, topic, partition, seq, target_topic, key, value)
       SELECT ${app}, ${topic}, ${partition}, o.seq, o.target_topic, o.key, o.value
         FROM ${outboxRows(q, messages)}`,
      q.params,
    );
    await client.query(
      `UPDATE stream_offsets SET next_seq = $4 WHERE group_id = $1 AND topic = $2 AND partition = $3`,
      [t.appId, t.topic, t.partition, messages[messages.length - 1].seq + 1],
    );
  }

  /**
   * Commits a task's changes atomically. `publishedBelow`: outbox rows with a lower seq are on
   * Kafka already and are deleted here. Throws TaskFencedError (and commits nothing) when another
   * owner has claimed the task since `epoch`.
   *
   * ONE statement, so one round trip: the fencing UPDATE is a CTE, and every other change is a
   * data-modifying CTE guarded by `EXISTS (SELECT 1 FROM fence)`. A statement is atomic on its own,
   * and a fenced commit changes nothing. (The changes touch disjoint keys, so running them against
   * one snapshot is the same as running them in sequence.)
   */
  async commit(
    t: TaskIdentity,
    epoch: string,
    c: TaskCommit,
    publishedBelow: number,
    stageGroups: string[] = [],
    stateLog: StateChangelog = new StateChangelog(0, EMPTY_STATE_LOG, 0),
  ): Promise<void> {
    // Throws for a value no layout can hold: the commit fails and the task is reopened.
    const state = stateLog.write(c.storeChanges, Date.now());
    const q = new Statement();
    const task = [q.add(t.appId), q.add(t.topic), q.add(t.partition)];
    // With global stages: the records accepted must not be behind the watermark a stage finalised
    // at. FOR SHARE waits for a stage transaction in flight, so the two serialise.
    const floorCheck = stageGroups.length > 0 && c.minAcceptedTime !== null;
    const floorCtes = floorCheck
      ? [
          `floor_rows AS (SELECT watermark FROM stream_offsets WHERE group_id = ANY(${q.add(stageGroups)}::text[]) AND topic = ${task[1]} FOR SHARE)`,
          `floor_ok AS (SELECT COALESCE(max(watermark), ${q.add(c.minAcceptedTime)}::bigint) <= ${q.add(c.minAcceptedTime)}::bigint AS ok FROM floor_rows)`,
        ]
      : [];
    const ctes = [
      ...floorCtes,
      `fence AS (UPDATE stream_offsets
          SET next_offset = ${q.add(c.nextOffset)}, next_seq = ${q.add(c.nextSeq)}, watermark = ${q.add(c.watermark.watermark)},
              watermark_state = ${q.add(JSON.stringify(c.watermark))}::jsonb,
              last_input_at = to_timestamp(${q.add(c.watermark.lastInputAt)}::float8 / 1000.0), updated_at = now()
        WHERE group_id = ${task[0]} AND topic = ${task[1]} AND partition = ${task[2]} AND epoch = ${q.add(epoch)}
              ${floorCheck ? 'AND (SELECT ok FROM floor_ok)' : ''}
        RETURNING 1)`,
      ...stateCtes(q, task, state.flush),
      ...stateLogCtes(q, task, state),
      ...tableCtes(q, c.tableWrites),
      ...outboxCtes(q, task, c.outbox, publishedBelow),
      ...dedupeCtes(q, dedupeTask(t), c.dedupe ?? null),
    ];
    const floorOk = floorCheck ? '(SELECT ok FROM floor_ok)' : 'true';
    const { rows } = await this.pool.query<{ fenced: string; floor_ok: boolean }>(
      `WITH ${ctes.join(',\n')}\nSELECT (SELECT count(*) FROM fence) AS fenced, ${floorOk} AS floor_ok`,
      q.params,
    );
    if (Number(rows[0].fenced) === 1) return;
    if (!rows[0].floor_ok)
      throw new WatermarkFloorMovedError(`${t.appId}/${t.topic}-${t.partition}`);
    throw new TaskFencedError(`${t.appId}/${t.topic}-${t.partition}`);
  }

  /** The highest watermark the given global stages finalised at, for `topic` (null: none yet). */
  async watermarkFloor(stageGroups: string[], topic: string): Promise<number | null> {
    if (stageGroups.length === 0) return null;
    const { rows } = await this.pool.query<{ w: string | null }>(
      `SELECT max(watermark) AS w FROM stream_offsets WHERE group_id = ANY($1::text[]) AND topic = $2`,
      [stageGroups, topic],
    );
    return rows[0].w === null ? null : Number(rows[0].w);
  }
}

/** The `task` column of stream_dedupe: 64 bits of SHA-256 of the task's identity (stable across restarts). */
export function dedupeTask(t: TaskIdentity): string {
  return createHash('sha256')
    .update(`${t.appId}\n${t.topic}\n${t.partition}`)
    .digest()
    .readBigInt64BE(0)
    .toString();
}
