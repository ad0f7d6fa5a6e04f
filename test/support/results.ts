import { Pool } from 'pg';
import {
  SelectedRow,
  sessionRow,
  SessionRow,
  WINDOW_SUMS_SQL,
  WindowSums,
} from '@clickstream/contracts';

/** A window's partials merged over partitions, as node-postgres returns them (numbers as text). */
export type MergedWindow = WindowSums & {
  window_size: string;
  dimension: string;
  start_ms: string;
};

/** Rows of `select … WHERE where …rest`, `where` parameterised by `params`. */
async function rowsWhere<T extends object>(
  pool: Pool,
  [select, rest]: [string, string],
  where: string,
  params: unknown[],
): Promise<T[]> {
  return (await pool.query<T>(`${select} WHERE ${where} ${rest}`, params)).rows;
}

/** Every window's partials (window_aggregates rows matching `where`) summed over partitions. */
export const mergedWindows = (pool: Pool, where: string, params: unknown[] = []) =>
  rowsWhere<MergedWindow>(
    pool,
    [
      `SELECT window_size, dimension, (extract(epoch FROM window_start) * 1000)::bigint AS start_ms, ${WINDOW_SUMS_SQL} FROM window_aggregates`,
      'GROUP BY window_size, dimension, window_start',
    ],
    where,
    params,
  );

const SESSION_COLUMNS = [
  'session_id',
  'user_id',
  'started_at',
  'event_count',
  'revenue',
  'status',
] as const satisfies ReadonlyArray<keyof SessionRow>;
/** The columns of a stored session the comparisons read, typed as node-postgres returns them. */
export type StoredSession = Pick<SelectedRow<typeof sessionRow>, (typeof SESSION_COLUMNS)[number]>;

/** The sessions rows matching `where`. */
export const storedSessions = (pool: Pool, where: string, params: unknown[] = []) =>
  rowsWhere<StoredSession>(
    pool,
    [`SELECT ${SESSION_COLUMNS.join(', ')} FROM ${sessionRow.table}`, ''],
    where,
    params,
  );

/** True once an app's outbox is empty: its tasks' rows and its global stages' (`<app>#<stage>`). */
export async function outboxDrained(pool: Pool, appId: string): Promise<boolean> {
  const { rows } = await pool.query<{ n: string }>(
    `SELECT count(*) AS n FROM stream_outbox WHERE app_id = $1 OR app_id LIKE $2`,
    [appId, `${appId}#%`],
  );
  return Number(rows[0].n) === 0;
}

/** Each window size's final_until (aggregate_progress) in ms since the epoch. */
export async function finalUntilBySize(pool: Pool): Promise<Map<string, number>> {
  const { rows } = await pool.query<{ window_size: string; ms: string }>(
    `SELECT window_size, (extract(epoch FROM final_until) * 1000)::bigint AS ms FROM aggregate_progress`,
  );
  return new Map(rows.map((r) => [r.window_size, Number(r.ms)]));
}

/** Records consumed (committed offsets in Postgres, the truth) by a processor's group, all partitions. */
export async function progress(pool: Pool, appId: string): Promise<number> {
  const { rows } = await pool.query<{ done: string | null }>(
    `SELECT sum(next_offset) AS done FROM stream_offsets WHERE group_id = $1`,
    [appId],
  );
  return Number(rows[0].done ?? 0);
}

/**
 * Each partition's committed offset (Postgres, the truth) of a processor's group on a topic; a
 * partition without a row, or claimed before its first commit (no offset yet), is at 0.
 */
export async function committedOffsets(
  pool: Pool,
  groupId: string,
  topic: string,
): Promise<Map<number, bigint>> {
  const { rows } = await pool.query<{ partition: number; next_offset: string | null }>(
    `SELECT partition, next_offset FROM stream_offsets WHERE group_id = $1 AND topic = $2`,
    [groupId, topic],
  );
  return new Map(rows.map((r) => [r.partition, BigInt(r.next_offset ?? 0)]));
}
