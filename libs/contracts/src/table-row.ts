import { z } from 'zod';

/**
 * A table row that one service writes and another reads, declared once: per column its Postgres
 * type and the zod schema of its value as writers produce it. The row schema and type, the column
 * map the table sinks take, and the checks against the TypeORM entity and the migrated table all
 * derive from that one declaration, so the copies cannot drift apart unnoticed.
 */

/** The version of every table row contract: its JSON Schemas' $id and title end in it. */
export const TABLE_ROWS_CONTRACT_VERSION = 1;

/** The column types the processors' table sinks can write (libs/streams' ColumnTypes). */
export const PG_COLUMN_TYPES = [
  'text',
  'bigint',
  'integer',
  'double precision',
  'numeric',
  'boolean',
  'timestamptz',
  'jsonb',
  'text[]',
] as const;
export type PgColumnType = (typeof PG_COLUMN_TYPES)[number];

export interface ColumnContract<
  T extends PgColumnType = PgColumnType,
  S extends z.ZodType = z.ZodType,
> {
  readonly type: T;
  /** The value as a writer sets it; a column is nullable exactly when this accepts null. */
  readonly value: S;
  /** numeric(precision, scale): the sinks cast to plain numeric, the table stores this. */
  readonly numeric?: readonly [precision: number, scale: number];
}

export function column<T extends PgColumnType, S extends z.ZodType>(
  type: T,
  value: S,
  numeric?: readonly [number, number],
): ColumnContract<T, S> {
  return numeric ? { type, value, numeric } : { type, value };
}

/** One column as a table, an entity or a sink describes it, in the spelling the checks compare. */
export interface TableColumn {
  name: string;
  /** E.g. `timestamptz`, `numeric(38,2)`, `text[]`. */
  type: string;
  /** Unset when the source cannot tell (a sink's column map). */
  nullable?: boolean;
}

/** A table as some source (entity, information_schema, sink) describes it. */
export interface TableLayout {
  columns: readonly TableColumn[];
  /** In key order; unset when the source cannot tell. */
  primaryKey?: readonly string[];
}

type Columns = Record<string, ColumnContract>;
type RowShape<C extends Columns> = { [K in keyof C]: C[K]['value'] };

export interface TableRowOptions<C extends Columns> {
  table: string;
  columns: C;
  primaryKey: readonly (keyof C & string)[];
  /** Columns no writer sets (the database's DEFAULT fills them): in the table, not in the row. */
  databaseFilled?: Record<string, PgColumnType>;
  /** The row's name in its JSON Schema's file, $id and title, e.g. `session-row`. */
  name: string;
  description: string;
}

export interface TableRowContract<C extends Columns = Columns> {
  readonly table: string;
  /** E.g. `session-row`: the JSON Schema is schema/<name>.v1.schema.json. */
  readonly name: string;
  /** JSON Schema (draft 2020-12) of the row, with the Postgres table, key and column types. */
  readonly jsonSchema: Record<string, unknown>;
  /** The row as writers produce it: exactly the written columns, snake_case as in Postgres. */
  readonly schema: z.ZodObject<RowShape<C>, z.core.$strict>;
  /** Written column → type, in table order: what a table sink's `columns` takes. */
  readonly columnTypes: { readonly [K in keyof C]: C[K]['type'] };
  readonly primaryKey: readonly (keyof C & string)[];
  /** Every column of the table (the database-filled ones too) and its key. */
  readonly layout: { columns: readonly Required<TableColumn>[]; primaryKey: readonly string[] };
}

export type RowOf<T extends TableRowContract> = z.infer<T['schema']>;

/**
 * A row as node-postgres returns it with its default type parsers: timestamptz as a Date, bigint
 * and numeric as strings (exact), the others as written. For readers' SELECT results.
 */
export type SelectedRow<T extends TableRowContract> = {
  [K in keyof T['columnTypes']]: K extends keyof RowOf<T>
    ? Selected<T['columnTypes'][K], RowOf<T>[K]>
    : never;
};
type Selected<T, V> = null extends V
  ? SelectedValue<T, NonNullable<V>> | null
  : SelectedValue<T, V>;
type SelectedValue<T, V> = T extends 'timestamptz'
  ? Date
  : T extends 'bigint' | 'numeric'
    ? string
    : V;

export const ddlType = (c: Pick<ColumnContract, 'type' | 'numeric'>): string =>
  c.numeric ? `${c.type}(${c.numeric.join(',')})` : c.type;

export function tableRow<C extends Columns>(o: TableRowOptions<C>): TableRowContract<C> {
  const shape = {} as Record<string, z.ZodType>;
  const columnTypes = {} as Record<string, PgColumnType>;
  const columns: Array<Required<TableColumn>> = [];
  for (const [name, c] of Object.entries(o.columns)) {
    // The column's Postgres type goes into the JSON Schema, for readers outside TypeScript.
    shape[name] = c.value.meta({ 'x-postgres-type': ddlType(c) });
    columnTypes[name] = c.type;
    columns.push({ name, type: ddlType(c), nullable: c.value.safeParse(null).success });
  }
  for (const [name, type] of Object.entries(o.databaseFilled ?? {}))
    columns.push({ name, type, nullable: false });
  const schema = z.strictObject(shape).meta({
    title: `Clickstream ${o.name.replace(/-/g, ' ')} (v${TABLE_ROWS_CONTRACT_VERSION})`,
    description: o.description,
    'x-postgres-table': o.table,
    'x-postgres-primary-key': [...o.primaryKey],
  });
  return {
    table: o.table,
    name: o.name,
    jsonSchema: {
      $id: `urn:clickstream:schema:${o.name}:v${TABLE_ROWS_CONTRACT_VERSION}`,
      ...z.toJSONSchema(schema, { target: 'draft-2020-12' }),
    },
    schema: schema as unknown as TableRowContract<C>['schema'],
    columnTypes: columnTypes as TableRowContract<C>['columnTypes'],
    primaryKey: o.primaryKey,
    layout: { columns, primaryKey: o.primaryKey },
  };
}

/**
 * How `found` (described as `where`, e.g. "the migrated table") differs from the contract: one
 * line per difference, naming table and column; empty when they agree. `writtenOnly` compares
 * only the columns writers set (a sink's view of the table).
 */
export function tableDrift(
  contract: TableRowContract,
  found: TableLayout,
  where: string,
  o: { writtenOnly?: boolean } = {},
): string[] {
  const written = new Set(Object.keys(contract.columnTypes));
  const expected = contract.layout.columns.filter((c) => !o.writtenOnly || written.has(c.name));
  const actual = new Map(found.columns.map((c) => [c.name, c]));
  const out: string[] = [];
  const at = (name: string) => `${contract.table}.${name}`;
  for (const want of expected) {
    const got = actual.get(want.name);
    if (!got) {
      out.push(`${at(want.name)}: in the contract, missing in ${where}`);
      continue;
    }
    if (!sameType(want.type, got.type))
      out.push(`${at(want.name)}: ${want.type} in the contract, ${got.type} in ${where}`);
    if (got.nullable !== undefined && got.nullable !== want.nullable) {
      out.push(
        `${at(want.name)}: ${nullability(want.nullable)} in the contract, ${nullability(got.nullable)} in ${where}`,
      );
    }
  }
  const known = new Set(expected.map((c) => c.name));
  for (const c of found.columns)
    if (!known.has(c.name)) out.push(`${at(c.name)}: in ${where}, not in the contract`);
  const key = (names: readonly string[]) => `(${names.join(', ')})`;
  if (found.primaryKey && key(found.primaryKey) !== key(contract.primaryKey)) {
    out.push(
      `${contract.table} primary key: ${key(contract.primaryKey)} in the contract, ${key(found.primaryKey)} in ${where}`,
    );
  }
  return out;
}

/** How a table sink (libs/streams' TableSinkDefinition) writing the contract's table differs from it. */
export function sinkDrift(
  contract: TableRowContract,
  sink: { name: string; columns: Record<string, string>; primaryKey: readonly string[] },
): string[] {
  const columns = Object.entries(sink.columns).map(([name, type]) => ({ name, type }));
  return tableDrift(
    contract,
    { columns, primaryKey: sink.primaryKey },
    `the table sink ${sink.name}`,
    {
      writtenOnly: true,
    },
  );
}

const nullability = (nullable: boolean) => (nullable ? 'nullable' : 'NOT NULL');

/** A sink casts to plain numeric, so it is compared without the precision. */
const sameType = (want: string, got: string) =>
  want === got || (got === 'numeric' && want.startsWith('numeric('));

/**
 * A Postgres type name as information_schema or TypeORM spells it, in the contract's spelling
 * (`timestamp with time zone` → `timestamptz`, with `[]` for arrays and numeric's precision).
 */
export function pgTypeName(
  name: string,
  o: { array?: boolean; precision?: number | null; scale?: number | null } = {},
): string {
  const base = name === 'timestamp with time zone' ? 'timestamptz' : name;
  if (o.array) return `${base}[]`;
  if (base === 'numeric' && o.precision != null) return `numeric(${o.precision},${o.scale ?? 0})`;
  return base;
}
