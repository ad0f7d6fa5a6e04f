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
import {
  StreamDedupeEntity,
  StreamOffsetEntity,
  StreamOutboxEntity,
  StreamStateEntity,
} from './runtime.entities';

export * from './results.entities';
export * from './runtime.entities';

/** Every table the migrations create, as TypeORM entities (checked against the schema in a test). */
export const ENTITIES = [
  SessionEntity,
  WindowAggregateEntity,
  ProductHourAggregateEntity,
  AggregateProgressEntity,
  AlertEntity,
  FraudUserActivityEntity,
  FraudRuleBaselineEntity,
  FraudRuleChangeEntity,
  StreamOffsetEntity,
  StreamStateEntity,
  StreamOutboxEntity,
  StreamDedupeEntity,
];
