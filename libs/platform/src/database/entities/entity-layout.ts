import { EntitySchema } from 'typeorm';
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

type ResultEntity = EntitySchema<Record<string, unknown>>;

/** Each result-row contract and the entity of its table (checked against each other in tests). */
export const RESULT_ROW_ENTITIES: ReadonlyArray<readonly [TableRowContract, ResultEntity]> = [
  [sessionRow, SessionEntity],
  [windowAggregateRow, WindowAggregateEntity],
  [productHourAggregateRow, ProductHourAggregateEntity],
  [alertRow, AlertEntity],
  [fraudUserActivityRow, FraudUserActivityEntity],
];

/**
 * An entity's table as TypeORM will create it, in the contracts' spelling (see tableDrift): read
 * from its schema options, so no database is needed.
 */
export function entityLayout(entity: ResultEntity): TableLayout & { table: string | undefined } {
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
