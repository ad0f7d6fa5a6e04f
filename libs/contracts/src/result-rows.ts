import { z } from 'zod';
import { AGGREGATE_WINDOW_SIZE_PATTERN, fraudAlertSchema } from './alert.schema';
import { EVENT_TYPES, FUNNEL_STAGES } from './event-types';
import { ruleBaselineRow, ruleChangeRow } from './fraud-rules';
import { column, RowOf, TableRowContract, tableRow } from './table-row';

/**
 * The processors' result rows that the metrics service reads (SPEC §5, §6, §7): sessions, the
 * per-partition window and product partials, and alerts. Each is the single description of its
 * table for the writer (table sinks, hand-written SQL), the readers (metrics repositories), the
 * TypeORM entity and the migrations (checked against it in tests), and its JSON Schema.
 */

const isoTime = z.iso.datetime({ offset: true });
const count = z.int().min(0);
// numeric(38,2): no sum of contract-bounded purchases can overflow it (migration 1765400000000).
const MONEY = [38, 2] as const;
/** Revenue as the aggregator writes it to numeric: exact cents in decimal text, never a float. */
const decimalMoney = z
  .string()
  .regex(/^\d+\.\d{2}$/, 'must be a decimal with two places, e.g. 12.50');

export const SESSION_STATUSES = ['open', 'closed'] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];

export const sessionRow = tableRow({
  table: 'sessions',
  name: 'session-row',
  description:
    'A session (SPEC §5) as the sessionizer upserts it to the sessions table and publishes it, once closed, on clickstream.sessions.v1.',
  primaryKey: ['session_id'],
  columns: {
    session_id: column(
      'text',
      z
        .string()
        .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
        .meta({
          description: 'SHA-256 of (user_id, start) in UUID layout: the same on every replay.',
        }),
    ),
    user_id: column('text', z.string().min(1)),
    started_at: column('timestamptz', isoTime),
    last_event_at: column('timestamptz', isoTime),
    duration_s: column('double precision', z.number().min(0)),
    event_count: column('integer', z.int().min(1)),
    event_counts: column('jsonb', z.partialRecord(z.enum(EVENT_TYPES), z.int().min(1))),
    revenue: column(
      'numeric',
      z.number().min(0).meta({ description: 'Sum of price × quantity of the purchases.' }),
      MONEY,
    ),
    funnel_stage: column('text', z.enum(FUNNEL_STAGES)),
    converted: column('boolean', z.boolean()),
    bounced: column('boolean', z.boolean()),
    client_session_ids: column('text[]', z.array(z.string().min(1))),
    status: column('text', z.enum(SESSION_STATUSES)),
    closed_at: column(
      'timestamptz',
      isoTime.nullable().meta({
        description:
          'Event time the session closed (last event + gap, or start + max duration); null while open.',
      }),
    ),
  },
});

/** The counts a partition's window and product partials both hold; readers SUM them. */
const partialCounts = {
  purchases: column('bigint', count),
  revenue: column('numeric', decimalMoney, MONEY),
  views: column('bigint', count),
  carts: column('bigint', count),
};

export const windowAggregateRow = tableRow({
  table: 'window_aggregates',
  name: 'window-aggregate-row',
  description:
    "One partition's partial of a window and dimension (SPEC §6), as the aggregator upserts it; readers merge partials with SUM ... GROUP BY (window_size, dimension, window_start).",
  primaryKey: ['window_size', 'dimension', 'window_start', 'partition'],
  columns: {
    window_size: column('text', z.string().regex(AGGREGATE_WINDOW_SIZE_PATTERN)),
    dimension: column('text', z.string().min(1).meta({ description: '`all` or an event type.' })),
    window_start: column('timestamptz', isoTime),
    partition: column(
      'integer',
      z.int().min(-1).meta({
        description:
          'The events partition; -1 for the zero row of an empty minute the finaliser published.',
      }),
    ),
    window_end: column('timestamptz', isoTime),
    events: column('bigint', count),
    unique_users: column('bigint', count),
    ...partialCounts,
  },
  // DEFAULT now(): when the row was first written.
  databaseFilled: { updated_at: 'timestamptz' },
});

/** The columns a window's partials add up over its partitions (a partition owns its users). */
export const WINDOW_SUMMED_COLUMNS = [
  'events',
  'unique_users',
  'purchases',
  'revenue',
  'views',
  'carts',
] as const satisfies ReadonlyArray<keyof WindowAggregateRow>;
export type WindowSummedColumn = (typeof WINDOW_SUMMED_COLUMNS)[number];
/** The sums as node-postgres returns them: sum() of bigint and numeric is numeric, so a string. */
export type WindowSums = Record<WindowSummedColumn, string>;
/** The SELECT list that merges a window's partials (with GROUP BY its window): `sum(events) AS events, …`. */
export const WINDOW_SUMS_SQL = WINDOW_SUMMED_COLUMNS.map((c) => `sum(${c}) AS ${c}`).join(', ');

export const aggregateProgressRow = tableRow({
  table: 'aggregate_progress',
  name: 'aggregate-progress-row',
  description:
    "How far a window size is final: the aggregator's finaliser has published every window of this size with window_end <= final_until; the metrics API marks those windows final.",
  primaryKey: ['window_size'],
  columns: {
    window_size: column('text', z.string().regex(AGGREGATE_WINDOW_SIZE_PATTERN)),
    final_until: column('timestamptz', isoTime),
  },
  // DEFAULT now(): when the row was first written.
  databaseFilled: { updated_at: 'timestamptz' },
});

export const productHourAggregateRow = tableRow({
  table: 'product_hour_aggregates',
  name: 'product-hour-aggregate-row',
  description:
    "One partition's partial of a product in a 1 h window (SPEC §6), as the aggregator upserts it.",
  primaryKey: ['window_start', 'product_id', 'partition'],
  columns: {
    window_start: column('timestamptz', isoTime),
    product_id: column('text', z.string().min(1)),
    partition: column('integer', z.int().min(0)),
    ...partialCounts,
  },
});

// The stored alert is the published one (fraudAlertSchema), field for field.
const alert = fraudAlertSchema.shape;
export const alertRow = tableRow({
  table: 'alerts',
  name: 'alert-row',
  description:
    'An alert (SPEC §7) as the fraud-detector stores it in the alerts table: the record of clickstream.alerts.v1.',
  primaryKey: ['alert_id'],
  columns: {
    alert_id: column('text', alert.alert_id),
    rule: column('text', alert.rule),
    severity: column('text', alert.severity),
    user_id: column('text', alert.user_id),
    window_start: column('timestamptz', alert.window_start),
    window_end: column('timestamptz', alert.window_end),
    value: column('double precision', alert.value),
    threshold: column('double precision', alert.threshold),
    detected_at: column('timestamptz', alert.detected_at),
    evidence: column('jsonb', alert.evidence),
  } satisfies Record<keyof typeof alert, unknown>,
});

export const fraudUserActivityRow = tableRow({
  table: 'fraud_user_activity',
  name: 'fraud-user-activity-row',
  description:
    "One user's event count in one outlier_activity window (SPEC §7), as a partition's fraud-detector adds it; the instance that owns events partition 0 reads every partition's rows once the window is final.",
  primaryKey: ['window_start', 'user_id'],
  columns: {
    window_start: column('timestamptz', isoTime),
    user_id: column('text', z.string().min(1)),
    partition: column(
      'integer',
      z.int().min(0).meta({ description: 'The events partition the count comes from.' }),
    ),
    events: column(
      'bigint',
      z.int().min(1).meta({ description: 'Events so far: deltas the table sink adds up.' }),
    ),
  },
});

/** Every result-row contract, for the checks against entities, migrations and sinks. */
export const RESULT_ROWS: readonly TableRowContract[] = [
  sessionRow,
  windowAggregateRow,
  productHourAggregateRow,
  alertRow,
  fraudUserActivityRow,
];

/**
 * Every table one process writes and another reads: the result rows, the finaliser's progress and
 * the fraud rule tables. Each is checked against its migrated table and its entity.
 */
export const SHARED_TABLE_ROWS: readonly TableRowContract[] = [
  ...RESULT_ROWS,
  aggregateProgressRow,
  ruleBaselineRow,
  ruleChangeRow,
];

/** Each row as its writers produce it. */
export type SessionRow = RowOf<typeof sessionRow>;
export type WindowAggregateRow = RowOf<typeof windowAggregateRow>;
export type AggregateProgressRow = RowOf<typeof aggregateProgressRow>;
export type ProductHourAggregateRow = RowOf<typeof productHourAggregateRow>;
export type AlertRow = RowOf<typeof alertRow>;
export type FraudUserActivityRow = RowOf<typeof fraudUserActivityRow>;
