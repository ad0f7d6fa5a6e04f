type Cell = string | number | boolean | null | undefined;

/** Renders rows as a plain-text table with a header; columns as wide as their widest cell. */
export function renderTable(columns: string[], rows: Cell[][]): string {
  const cells = rows.map((r) => r.map((c) => (c === null || c === undefined ? '-' : String(c))));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]?.length ?? 0)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

/** The keys of T whose values can stand in a cell as they are. */
type CellKey<T> = { [K in keyof T]: T[K] extends Cell ? K : never }[keyof T] & string;

/** A column of items: a field shown as it is, or a header and the cell each item shows under it. */
export type Column<T> = CellKey<T> | readonly [header: string, cell: (item: T) => Cell];

/** Renders items, a row each, under the columns (renderTable's layout). */
export function itemTable<T>(columns: ReadonlyArray<Column<T>>): (items: readonly T[]) => string {
  const headers = columns.map((column) => (typeof column === 'string' ? column : column[0]));
  return (items) =>
    renderTable(
      headers,
      items.map((item) =>
        columns.map((column) =>
          typeof column === 'string' ? (item[column] as Cell) : column[1](item),
        ),
      ),
    );
}
