import { Inject, Injectable } from '@nestjs/common';
import { Pool } from 'pg';
import {
  ProductHourAggregateRow,
  productHourAggregateRow,
  SelectedRow,
} from '@clickstream/contracts';
import { PG_POOL } from '../database/pg-pool';
import { PagedRange } from '../query/query-params';
import { num, rangeConditions, SqlParams, whereSql } from '../query/sql';

/**
 * The rankings (`by`) and the column of each: SQL takes the column from this fixed map, never from
 * the request's text.
 */
const RANK_COLUMN = {
  views: 'views',
  purchases: 'purchases',
  revenue: 'revenue',
} as const satisfies Record<string, keyof ProductHourAggregateRow>;
export type ProductRanking = keyof typeof RANK_COLUMN;
export const PRODUCT_RANKINGS = Object.keys(RANK_COLUMN) as [ProductRanking, ...ProductRanking[]];

/** A product's totals: the contract's product_hour_aggregates counts, revenue as a number. */
export type ProductItem = Pick<
  ProductHourAggregateRow,
  'product_id' | 'views' | 'carts' | 'purchases'
> & { revenue: number };

/** The columns a product sums over hours and partitions. */
const SUMMED = ['views', 'carts', 'purchases', 'revenue'] as const satisfies ReadonlyArray<
  keyof ProductHourAggregateRow
>;

export interface TopProductsQuery extends PagedRange<readonly [string, string]> {
  /** Ranks products after the cursor's (value, product_id), value as Postgres prints it. */
  by: ProductRanking;
}

/** A product's summed partials as node-postgres returns them, with the ranking value as text (exact for numeric). */
export type ProductRow = Pick<
  SelectedRow<typeof productHourAggregateRow>,
  'product_id' | (typeof SUMMED)[number]
> & { k: string };

/**
 * Products ranked by `by` descending, then product_id: per-partition partial rows of 1 h windows
 * whose window_start is in [from, to), summed (the primary key starts with window_start).
 */
@Injectable()
export class TopProductsRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  async list(q: TopProductsQuery): Promise<ProductRow[]> {
    const p = new SqlParams();
    const where = rangeConditions(p, 'window_start', q);
    const column = RANK_COLUMN[q.by];
    const after: string[] = [];
    if (q.after) {
      const value = p.param(q.after[0]);
      after.push(
        `(t.${column} < ${value}::numeric OR (t.${column} = ${value}::numeric AND t.product_id > ${p.param(q.after[1])}))`,
      );
    }
    const sql = `
      SELECT t.*, t.${column}::text AS k FROM (
        SELECT product_id, ${SUMMED.map((c) => `sum(${c}) AS ${c}`).join(', ')}
          FROM ${productHourAggregateRow.table}
         ${whereSql(where)}
         GROUP BY product_id
      ) t
      ${whereSql(after)}
      ORDER BY t.${column} DESC, t.product_id ASC
      LIMIT ${p.param(q.limit + 1)}`;
    const { rows } = await this.pool.query<ProductRow>(sql, p.values);
    return rows;
  }
}

export function toProductItem(r: ProductRow): ProductItem {
  return {
    product_id: r.product_id,
    views: num(r.views),
    carts: num(r.carts),
    purchases: num(r.purchases),
    revenue: num(r.revenue),
  };
}
