/**
 * Builds parameterised SQL: every value goes through `param`, which returns its placeholder. Only
 * fixed fragments written in this service ever become SQL text.
 */
export class SqlParams {
  readonly values: unknown[] = [];

  param(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** A numeric or bigint column as pg returns it (a string) to a JS number. */
export const num = (value: string | number | null | undefined): number =>
  value === null || value === undefined ? 0 : Number(value);

/** purchases / views, 0 when there were no views (never NaN or Infinity). */
export function ratio(numerator: number, denominator: number): number {
  return denominator > 0 ? numerator / denominator : 0;
}

/** `WHERE` and the conditions ANDed, or nothing without any. */
export const whereSql = (conditions: readonly string[]): string =>
  conditions.length ? `WHERE ${conditions.join(' AND ')}` : '';

/** The half-open range [from, to) on `column`, either end open when not given. */
export function rangeConditions(p: SqlParams, column: string, q: { from?: Date; to?: Date }) {
  const conditions: string[] = [];
  if (q.from) conditions.push(`${column} >= ${p.param(q.from)}`);
  if (q.to) conditions.push(`${column} < ${p.param(q.to)}`);
  return conditions;
}
