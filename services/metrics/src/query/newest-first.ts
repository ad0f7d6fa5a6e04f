import { Pool } from 'pg';
import { RowOf, SelectedRow, TableRowContract } from '@clickstream/contracts';
import { exactTimestampSql } from './cursor';
import { PagedRange } from './query-params';
import { rangeConditions, SqlParams, whereSql } from './sql';

type Column<T extends TableRowContract> = keyof T['columnTypes'] & string;

/** The query of a NewestFirstRepository: the paged range, the cursor's (time, id), the filters given. */
export type NewestFirstQuery<T extends TableRowContract, F extends Column<T>> = PagedRange<
  readonly [string, string]
> & { [K in F]?: NonNullable<RowOf<T>[K]> };

/** A row of the table as node-postgres returns it, with the cursor key `k` (the exact time). */
export type RowWithKey<T extends TableRowContract> = SelectedRow<T> & { k: string };

/**
 * A contract table listed newest first by (time, id), the id breaking ties of the time: `time` is a
 * timestamptz column that never changes for an id, and from and to bound it. A list is filtered
 * on `filters` (equality), each by the query field of its name.
 */
export class NewestFirstRepository<T extends TableRowContract, F extends Column<T>> {
  constructor(
    private readonly pool: Pool,
    private readonly row: T,
    private readonly time: Column<T>,
    private readonly id: Column<T>,
    private readonly filters: readonly F[],
  ) {}

  /** The rows matching the filters and the range, after the cursor, `limit + 1` of them (see toPage). */
  async list(q: NewestFirstQuery<T, F>): Promise<RowWithKey<T>[]> {
    const { row, time, id } = this;
    const p = new SqlParams();
    const where = [...this.equalities(p, q), ...rangeConditions(p, time, q)];
    if (q.after) {
      const ts = p.param(q.after[0]);
      // The plain bound lets the planner use the time indexes; the row comparison breaks ties.
      where.push(
        `${time} <= ${ts}::timestamptz`,
        `(${time}, ${id}) < (${ts}::timestamptz, ${p.param(q.after[1])})`,
      );
    }
    const sql = `
      SELECT ${Object.keys(row.columnTypes).join(', ')}, ${exactTimestampSql(time)} AS k
        FROM ${row.table}
       ${whereSql(where)}
       ORDER BY ${time} DESC, ${id} DESC
       LIMIT ${p.param(q.limit + 1)}`;
    const { rows } = await this.pool.query<RowWithKey<T>>(sql, p.values);
    return rows;
  }

  private equalities(p: SqlParams, q: NewestFirstQuery<T, F>): string[] {
    return this.filters.flatMap((column) => {
      const value = q[column];
      if (value === undefined) return [];
      // A nullable column's index is partial (WHERE column IS NOT NULL, e.g. alerts_user_window):
      // the planner uses it only when it sees that condition.
      const nullable = this.row.layout.columns.some((c) => c.name === column && c.nullable);
      return [`${column} = ${p.param(value)}`, ...(nullable ? [`${column} IS NOT NULL`] : [])];
    });
  }
}

/**
 * A selected row in its contract's form, as its writer produced it: timestamps as ISO-8601 strings,
 * numeric and bigint columns as numbers, the others as selected; the cursor key is left out.
 */
export function contractRow<T extends TableRowContract>(contract: T, r: SelectedRow<T>): RowOf<T> {
  const out: Record<string, unknown> = {};
  for (const [column, type] of Object.entries<string>(contract.columnTypes)) {
    const value = (r as Record<string, unknown>)[column];
    if (value === null || value === undefined) out[column] = value;
    else if (type === 'timestamptz') out[column] = (value as Date).toISOString();
    else if (type === 'numeric' || type === 'bigint') out[column] = Number(value);
    else out[column] = value;
  }
  return out as RowOf<T>;
}
