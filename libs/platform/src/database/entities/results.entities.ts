import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';

const timestamptz = 'timestamp with time zone';
// numeric(38,2): no sum of contract-bounded purchases can overflow it (migration 1765400000000).
const money = { type: 'numeric', precision: 38, scale: 2 } as const;

/** A session (SPEC §5), written by the sessionizer (contracts: sessionRow; entity-layout checks they agree). */
@Entity({ name: 'sessions' })
@Index('sessions_user_started', ['user_id', 'started_at'])
@Index('sessions_started', ['started_at'])
@Index('sessions_open', ['started_at'], { where: `status = 'open'` })
@Check('sessions_status_check', `status IN ('open', 'closed')`)
export class SessionEntity {
  @PrimaryColumn('text') session_id!: string;
  @Column('text') user_id!: string;
  @Column(timestamptz) started_at!: Date;
  @Column(timestamptz) last_event_at!: Date;
  @Column('double precision') duration_s!: number;
  @Column('integer') event_count!: number;
  @Column('jsonb') event_counts!: Record<string, number>;
  @Column(money) revenue!: string;
  @Column('text') funnel_stage!: string;
  @Column('boolean') converted!: boolean;
  @Column('boolean') bounced!: boolean;
  @Column('text', { array: true }) client_session_ids!: string[];
  @Column('text') status!: 'open' | 'closed';
  @Column(timestamptz, { nullable: true }) closed_at!: Date | null;
}

/**
 * One partition's partial of a window and dimension (SPEC §6), written by the aggregator. Readers
 * merge partials with SUM ... GROUP BY (window_size, dimension, window_start). Contracts: windowAggregateRow.
 */
@Entity({ name: 'window_aggregates' })
@Index('window_aggregates_size_start', ['window_size', 'window_start'])
export class WindowAggregateEntity {
  @PrimaryColumn('text') window_size!: string;
  @PrimaryColumn('text') dimension!: string;
  @PrimaryColumn(timestamptz) window_start!: Date;
  /** -1: a zero row the finaliser wrote for an empty minute it published. */
  @PrimaryColumn('integer') partition!: number;
  @Column(timestamptz) window_end!: Date;
  @Column('bigint') events!: string;
  @Column('bigint') unique_users!: string;
  @Column('bigint') purchases!: string;
  @Column(money) revenue!: string;
  @Column('bigint') views!: string;
  @Column('bigint') carts!: string;
  @Column(timestamptz, { default: () => 'now()' }) updated_at!: Date;
}

/** One partition's partial of a product in a 1 h window (SPEC §6) (contracts: productHourAggregateRow). */
@Entity({ name: 'product_hour_aggregates' })
export class ProductHourAggregateEntity {
  @PrimaryColumn(timestamptz) window_start!: Date;
  @PrimaryColumn('text') product_id!: string;
  @PrimaryColumn('integer') partition!: number;
  @Column('bigint') views!: string;
  @Column('bigint') carts!: string;
  @Column('bigint') purchases!: string;
  @Column(money) revenue!: string;
}

/** How far each window size is final: windows with window_end <= final_until were published. */
@Entity({ name: 'aggregate_progress' })
export class AggregateProgressEntity {
  @PrimaryColumn('text') window_size!: string;
  @Column(timestamptz) final_until!: Date;
  @Column(timestamptz, { default: () => 'now()' }) updated_at!: Date;
}

/** An alert (SPEC §7), written by the fraud-detector (contracts: alertRow). */
@Entity({ name: 'alerts' })
@Index('alerts_window', ['window_start'])
@Index('alerts_rule_window', ['rule', 'window_start'])
@Index('alerts_user_window', ['user_id', 'window_start'], { where: 'user_id IS NOT NULL' })
@Index('alerts_detected', ['detected_at'])
export class AlertEntity {
  @PrimaryColumn('text') alert_id!: string;
  @Column('text') rule!: string;
  @Column('text') severity!: string;
  @Column('text', { nullable: true }) user_id!: string | null;
  @Column(timestamptz) window_start!: Date;
  @Column(timestamptz) window_end!: Date;
  @Column('double precision') value!: number;
  @Column('double precision') threshold!: number;
  @Column(timestamptz) detected_at!: Date;
  @Column('jsonb') evidence!: Record<string, unknown>;
}

/** Per-user event counts of 1 h windows not evaluated yet by outlier_activity (contracts: fraudUserActivityRow). */
@Entity({ name: 'fraud_user_activity' })
export class FraudUserActivityEntity {
  @PrimaryColumn(timestamptz) window_start!: Date;
  @PrimaryColumn('text') user_id!: string;
  @Column('integer') partition!: number;
  @Column('bigint') events!: string;
}

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
