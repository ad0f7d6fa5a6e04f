import { Inject, Injectable } from '@nestjs/common';
import { Pool } from 'pg';
import {
  SelectedRow,
  WINDOW_SUMS_SQL,
  windowAggregateRow,
  WindowAggregateRow,
  WindowSummedColumn,
} from '@clickstream/contracts';
import { PG_POOL } from '../database/pg-pool';
import { exactTimestampSql } from '../query/cursor';
import { PagedRange } from '../query/query-params';
import { num, rangeConditions, ratio, SqlParams } from '../query/sql';

export const WINDOW_SIZES = ['1m', '5m', '1h'] as const;
export type WindowSize = (typeof WINDOW_SIZES)[number];

/**
 * A window as SPEC §6 names its fields, merged over partitions, with whether it is final: the
 * contract's window_aggregates columns but the partition, revenue as a number.
 */
export type WindowItem = Omit<WindowAggregateRow, 'window_size' | 'partition' | 'revenue'> & {
  window_size: WindowSize;
  revenue: number;
  conversion_rate: number;
  final: boolean;
};

/** Windows of one size and dimension, oldest first, after the cursor's window_start. */
export interface WindowQuery extends PagedRange<readonly [string]> {
  size: WindowSize;
  dimension: string;
}

/** One window's partials merged, as node-postgres returns them, with finality and the cursor key. */
export type WindowRow = Pick<
  SelectedRow<typeof windowAggregateRow>,
  'window_start' | 'window_end' | WindowSummedColumn
> & {
  final: boolean;
  k: string;
};

/**
 * Rows are per-partition partials; a user lives in one partition, so every column, unique_users
 * included, adds up: one window = SUM over its partitions (partition -1 rows are the zero rows of
 * empty published minutes). The primary key (window_size, dimension, window_start, partition)
 * serves the range and the grouping in order.
 */
@Injectable()
export class WindowsRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  async list(q: WindowQuery): Promise<WindowRow[]> {
    const p = new SqlParams();
    const size = p.param(q.size);
    const where = [
      `window_size = ${size}`,
      `dimension = ${p.param(q.dimension)}`,
      ...rangeConditions(p, 'window_start', q),
    ];
    if (q.after) where.push(`window_start > ${p.param(q.after[0])}::timestamptz`);
    const sql = `
      SELECT window_start, max(window_end) AS window_end,
             ${WINDOW_SUMS_SQL},
             COALESCE(max(window_end) <= (SELECT final_until FROM aggregate_progress WHERE window_size = ${size}), false) AS final,
             ${exactTimestampSql('window_start')} AS k
        FROM ${windowAggregateRow.table}
       WHERE ${where.join(' AND ')}
       GROUP BY window_start
       ORDER BY window_start
       LIMIT ${p.param(q.limit + 1)}`;
    const { rows } = await this.pool.query<WindowRow>(sql, p.values);
    return rows;
  }
}

/** A merged window as the API answers it, of the size and dimension asked for. */
export function toWindowItem(r: WindowRow, q: Pick<WindowQuery, 'size' | 'dimension'>): WindowItem {
  const purchases = num(r.purchases);
  const views = num(r.views);
  return {
    window_size: q.size,
    dimension: q.dimension,
    window_start: r.window_start.toISOString(),
    window_end: r.window_end.toISOString(),
    events: num(r.events),
    unique_users: num(r.unique_users),
    purchases,
    revenue: num(r.revenue),
    views,
    carts: num(r.carts),
    conversion_rate: ratio(purchases, views),
    final: r.final,
  };
}
