import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
// Relative, not '@clickstream/contracts': migrate.ts loads the entities outside the path aliases.
import {
  alertRow,
  fraudUserActivityRow,
  productHourAggregateRow,
  sessionRow,
  windowAggregateRow,
} from '../../../../contracts/src/result-rows';
import { contractEntity } from './contract-entity';

const timestamptz = 'timestamp with time zone';

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
@Entity({ name: 'aggregate_progress' })
export class AggregateProgressEntity {
  @PrimaryColumn('text') window_size!: string;
  @Column(timestamptz) final_until!: Date;
  @Column(timestamptz, { default: () => 'now()' }) updated_at!: Date;
}

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

/** A fraud rule's boot config as the detectors loaded it (contracts: RuleBaselineRow). */
@Entity({ name: 'fraud_rule_baseline' })
export class FraudRuleBaselineEntity {
  @PrimaryColumn('text') rule!: string;
  @Column('jsonb') config!: Record<string, unknown>;
  @Column('jsonb') sources!: Record<string, unknown>;
  @Column(timestamptz) updated_at!: Date;
}

/** One runtime change of a fraud rule, and the outbox of clickstream.rules.v1 (contracts: RuleChangeRow). */
@Entity({ name: 'fraud_rule_changes' })
@Index('fraud_rule_changes_rule', ['rule', 'revision'])
export class FraudRuleChangeEntity {
  @PrimaryColumn('bigint') revision!: string;
  @Column('text') rule!: string;
  @Column(timestamptz) changed_at!: Date;
  @Column('text') key_id!: string;
  @Column('jsonb') before!: Record<string, unknown>;
  @Column('jsonb') after!: Record<string, unknown>;
  @Column('boolean') reset!: boolean;
}
