import { getMetadataArgsStorage } from 'typeorm';
import {
  alertRow,
  fraudUserActivityRow,
  pgTypeName,
  productHourAggregateRow,
  sessionRow,
  TableLayout,
  TableRowContract,
  windowAggregateRow,
} from '@clickstream/contracts';
import {
  AlertEntity,
  FraudUserActivityEntity,
  ProductHourAggregateEntity,
  SessionEntity,
  WindowAggregateEntity,
} from './results.entities';

type EntityClass = new (...args: never[]) => object;

/** Each result-row contract and the entity of its table (checked against each other in tests). */
export const RESULT_ROW_ENTITIES: ReadonlyArray<readonly [TableRowContract, EntityClass]> = [
  [sessionRow, SessionEntity],
  [windowAggregateRow, WindowAggregateEntity],
  [productHourAggregateRow, ProductHourAggregateEntity],
  [alertRow, AlertEntity],
  [fraudUserActivityRow, FraudUserActivityEntity],
];

/**
 * An entity's table as its decorators declare it, in the contracts' spelling (see tableDrift).
 * Read from TypeORM's decorator metadata, so no database is needed.
 */
export function entityLayout(entity: EntityClass): TableLayout & { table: string | undefined } {
  const storage = getMetadataArgsStorage();
  const table = storage.tables.find((t) => t.target === entity)?.name;
  const args = storage.columns.filter((c) => c.target === entity);
  const nameOf = (c: (typeof args)[number]) => c.options.name ?? c.propertyName;
  const columns = args.map((c) => {
    const type = c.options.type;
    const name = typeof type === 'function' ? type.name.toLowerCase() : String(type);
    return {
      name: nameOf(c),
      type: pgTypeName(name, {
        array: c.options.array,
        precision: c.options.precision,
        scale: c.options.scale,
      }),
      nullable: c.options.nullable ?? false,
    };
  });
  return { table, columns, primaryKey: args.filter((c) => c.options.primary).map(nameOf) };
}
