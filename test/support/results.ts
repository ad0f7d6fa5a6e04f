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

/** Every window's partials (window_aggregates rows matching `where`) summed over partitions. */
export async function mergedWindows(
  pool: Pool,
  where: string,
  params: unknown[] = [],
): Promise<MergedWindow[]> {
  const { rows } = await pool.query<MergedWindow>(
    `SELECT window_size, dimension, (extract(epoch FROM window_start) * 1000)::bigint AS start_ms, ${WINDOW_SUMS_SQL}
       FROM window_aggregates WHERE ${where}
      GROUP BY window_size, dimension, window_start`,
    params,
  );
  return rows;
}

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
export async function storedSessions(
  pool: Pool,
  where: string,
  params: unknown[] = [],
): Promise<StoredSession[]> {
  const { rows } = await pool.query<StoredSession>(
    `SELECT ${SESSION_COLUMNS.join(', ')} FROM ${sessionRow.table} WHERE ${where}`,
    params,
  );
  return rows;
}

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
