import {
  EntitySchema,
  EntitySchemaColumnOptions,
  EntitySchemaIndexOptions,
  EntitySchemaOptions,
} from 'typeorm';
// Relative, not '@clickstream/contracts': migrate.ts loads the entities outside the path aliases.
import type { TableColumn, TableRowContract } from '../../../../contracts/src/table-row';

export type ContractEntity = EntitySchema<Record<string, unknown>>;

/** What a table has beyond its row contract: indexes, checks and column defaults. */
export interface ContractEntityOptions {
  name: string;
  indices?: EntitySchemaIndexOptions[];
  checks?: EntitySchemaOptions<unknown>['checks'];
  /** Column → SQL default (the database fills it, e.g. `now()`). */
  defaults?: Record<string, string>;
}

/** A column of the contract's layout as TypeORM spells it (`numeric(38,2)`, `text[]`, `timestamptz`). */
function columnOptions(
  column: Required<TableColumn>,
  primary: boolean,
  indexed: boolean,
  sqlDefault: string | undefined,
): EntitySchemaColumnOptions {
  const numeric = /^numeric\((\d+),(\d+)\)$/.exec(column.type);
  const array = column.type.endsWith('[]');
  const base = array ? column.type.slice(0, -2) : column.type;
  return {
    type: (numeric
      ? 'numeric'
      : base === 'timestamptz'
        ? 'timestamp with time zone'
        : base) as EntitySchemaColumnOptions['type'],
    ...(numeric ? { precision: Number(numeric[1]), scale: Number(numeric[2]) } : {}),
    ...(array ? { array: true } : {}),
    ...(primary ? { primary: true } : {}),
    // Text keys compare as bytes, whatever the server's locale (migration ByteOrderedKeys1770000000000).
    ...((primary || indexed) && column.type === 'text' ? { collation: 'C' } : {}),
    ...(column.nullable ? { nullable: true } : {}),
    ...(sqlDefault ? { default: () => sqlDefault } : {}),
  };
}

/**
 * The TypeORM entity of a table whose row a contract owns (libs/contracts result-rows.ts): its
 * columns, types, nullability and key come from the contract, so the entity cannot drift from it;
 * the entity/migration test then holds the migrations to the contract too.
 */
export function contractEntity(
  contract: TableRowContract,
  o: ContractEntityOptions,
): ContractEntity {
  const primary = new Set(contract.layout.primaryKey);
  const indexed = new Set(
    (o.indices ?? []).flatMap((index) => (Array.isArray(index.columns) ? index.columns : [])),
  );
  return new EntitySchema<Record<string, unknown>>({
    name: o.name,
    tableName: contract.table,
    columns: Object.fromEntries(
      contract.layout.columns.map((c) => [
        c.name,
        columnOptions(c, primary.has(c.name), indexed.has(c.name), o.defaults?.[c.name]),
      ]),
    ),
    indices: o.indices,
    checks: o.checks,
  });
}
