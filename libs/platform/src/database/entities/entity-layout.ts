import { EntitySchema } from 'typeorm';
import {
  aggregateProgressRow,
  alertRow,
  fraudUserActivityRow,
  pgTypeName,
  productHourAggregateRow,
  ruleBaselineRow,
  ruleChangeRow,
  sessionRow,
  TableLayout,
  TableRowContract,
  windowAggregateRow,
} from '@clickstream/contracts';
import {
  AggregateProgressEntity,
  AlertEntity,
  FraudRuleBaselineEntity,
  FraudRuleChangeEntity,
  FraudUserActivityEntity,
  ProductHourAggregateEntity,
  SessionEntity,
  WindowAggregateEntity,
} from './results.entities';

type ContractEntity = EntitySchema<Record<string, unknown>>;

/** Each shared table's contract (SHARED_TABLE_ROWS) and its entity (checked against each other in tests). */
export const CONTRACT_ENTITIES: ReadonlyArray<readonly [TableRowContract, ContractEntity]> = [
  [sessionRow, SessionEntity],
  [windowAggregateRow, WindowAggregateEntity],
  [productHourAggregateRow, ProductHourAggregateEntity],
  [alertRow, AlertEntity],
  [fraudUserActivityRow, FraudUserActivityEntity],
  [aggregateProgressRow, AggregateProgressEntity],
  [ruleBaselineRow, FraudRuleBaselineEntity],
  [ruleChangeRow, FraudRuleChangeEntity],
];

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
