// Relative, not '@clickstream/contracts': migrate.ts loads the entities outside the path aliases.
import { ruleBaselineRow, ruleChangeRow } from '../../../../contracts/src/fraud-rules';
import type { TableRowContract } from '../../../../contracts/src/table-row';
import {
  aggregateProgressRow,
  alertRow,
  fraudUserActivityRow,
  productHourAggregateRow,
  sessionRow,
  windowAggregateRow,
} from '../../../../contracts/src/result-rows';
import { ContractEntity, contractEntity } from './contract-entity';

/**
 * The tables whose rows libs/contracts owns (result-rows.ts) are entities built from the contract;
 * what the migrations add beyond the row (indexes, checks, defaults) is declared here.
 */

/** A session (SPEC §5), written by the sessionizer. */
export const SessionEntity = contractEntity(sessionRow, {
  name: 'SessionEntity',
  indices: [
    { name: 'sessions_user_started', columns: ['user_id', 'started_at'] },
    { name: 'sessions_started', columns: ['started_at'] },
    { name: 'sessions_open', columns: ['started_at'], where: `status = 'open'` },
  ],
  checks: [{ name: 'sessions_status_check', expression: `status IN ('open', 'closed')` }],
});

/**
 * One partition's partial of a window and dimension (SPEC §6), written by the aggregator. Readers
 * merge partials with SUM ... GROUP BY (window_size, dimension, window_start).
 */
export const WindowAggregateEntity = contractEntity(windowAggregateRow, {
  name: 'WindowAggregateEntity',
  indices: [{ name: 'window_aggregates_size_start', columns: ['window_size', 'window_start'] }],
  defaults: { updated_at: 'now()' },
});

/** One partition's partial of a product in a 1 h window (SPEC §6). */
export const ProductHourAggregateEntity = contractEntity(productHourAggregateRow, {
  name: 'ProductHourAggregateEntity',
});

/** How far each window size is final: windows with window_end <= final_until were published. */
export const AggregateProgressEntity = contractEntity(aggregateProgressRow, {
  name: 'AggregateProgressEntity',
  defaults: { updated_at: 'now()' },
});

/** An alert (SPEC §7), written by the fraud-detector. */
export const AlertEntity = contractEntity(alertRow, {
  name: 'AlertEntity',
  indices: [
    { name: 'alerts_window', columns: ['window_start'] },
    { name: 'alerts_rule_window', columns: ['rule', 'window_start'] },
    {
      name: 'alerts_user_window',
      columns: ['user_id', 'window_start'],
      where: 'user_id IS NOT NULL',
    },
    { name: 'alerts_detected', columns: ['detected_at'] },
  ],
});

/** Per-user event counts of 1 h windows not evaluated yet by outlier_activity. */
export const FraudUserActivityEntity = contractEntity(fraudUserActivityRow, {
  name: 'FraudUserActivityEntity',
});

/** A fraud rule's boot config as the detectors loaded it. */
export const FraudRuleBaselineEntity = contractEntity(ruleBaselineRow, {
  name: 'FraudRuleBaselineEntity',
});

/** One runtime change of a fraud rule, and the outbox of clickstream.rules.v1. */
export const FraudRuleChangeEntity = contractEntity(ruleChangeRow, {
  name: 'FraudRuleChangeEntity',
  // The current runtime config is each rule's latest change.
  indices: [{ name: 'fraud_rule_changes_rule', columns: ['rule', 'revision'] }],
});

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
