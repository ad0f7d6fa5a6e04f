import { Pool } from 'pg';
import { replayStateLog } from '@clickstream/streams/internals';

/** One key of a task's committed state, as stored (a node's bytes, or JSON in UTF-8). */
export interface StoredStateRow {
  partition: number;
  store: string;
  key: string;
  value: Buffer;
}

/**
 * The state an application's tasks have committed, read as a restore reads it: `stream_state`
 * with the state log's rows applied on top (a key changed in the last flush interval is only in
 * the log). `store`: one store only.
 */
export async function committedState(
  pool: Pool,
  appId: string,
  store?: string,
): Promise<StoredStateRow[]> {
  const base = await pool.query<{
    topic: string;
    partition: number;
    store: string;
    key: string;
    value: Buffer;
  }>(`SELECT topic, partition, store, key, value FROM stream_state WHERE app_id = $1`, [appId]);
  const log = await pool.query<{ topic: string; partition: number; seq: string; changes: Buffer }>(
    `SELECT topic, partition, seq, changes FROM stream_state_log WHERE app_id = $1 ORDER BY topic, partition, seq`,
    [appId],
  );
  const tasks = new Set([...base.rows, ...log.rows].map((r) => `${r.topic}\n${r.partition}`));
  const out: StoredStateRow[] = [];
  for (const task of tasks) {
    const [topic, partition] = task.split('\n');
    const of = <T extends { topic: string; partition: number }>(rows: T[]) =>
      rows.filter((r) => r.topic === topic && r.partition === Number(partition));
    const replayed = replayStateLog(
      of(base.rows),
      of(log.rows).map((r) => ({ seq: Number(r.seq), changes: r.changes })),
    );
    for (const [name, entries] of replayed.stores)
      if (store === undefined || name === store)
        for (const [key, value] of entries)
          out.push({ partition: Number(partition), store: name, key, value });
  }
  return out;
}

/** A JSON-valued key's committed value (any partition), or undefined. */
export async function committedJson(
  pool: Pool,
  appId: string,
  store: string,
  key: string,
): Promise<unknown> {
  const row = (await committedState(pool, appId, store)).find((r) => r.key === key);
  return row === undefined ? undefined : JSON.parse(row.value.toString('utf8'));
}
