import { pgTypeName, TableLayout } from '@clickstream/contracts';
import { ContractEntity } from './contract-entity';

/**
 * An entity's table as TypeORM will create it, in the contracts' spelling (see tableDrift): read
 * from its schema options, so no database is needed.
 */
export function entityLayout(entity: ContractEntity): TableLayout & { table: string | undefined } {
  const columns = Object.entries(entity.options.columns).map(([name, c]) => ({
    name,
    type: pgTypeName(String(c!.type), {
      array: c!.array,
      precision: c!.precision,
      scale: c!.scale,
    }),
    nullable: c!.nullable ?? false,
  }));
  const primaryKey = Object.entries(entity.options.columns)
    .filter(([, c]) => c!.primary)
    .map(([name]) => name);
  return { table: entity.options.tableName, columns, primaryKey };
}
