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
