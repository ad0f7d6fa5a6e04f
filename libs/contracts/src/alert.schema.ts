import { z } from 'zod';
import { formatEventTime } from './event-time';

/**
 * Records the fraud-detector reads and writes (SPEC §6, §7): the alert it publishes to
 * clickstream.alerts.v1 and stores in Postgres, and the final window aggregate it reads from
 * clickstream.aggregates.v1. The zod schemas are the single source of both shapes and of
 * schema/fraud-alert.v1.schema.json.
 */

export const ALERT_CONTRACT_VERSION = 1;

/** The eight rules of SPEC §7, per-user rules first. */
export const ALERT_RULES = [
  'click_flood',
  'ip_hopping',
  'purchase_velocity',
  'high_value',
  'geo_velocity',
  'outlier_activity',
  'traffic_spike',
  'traffic_drop',
] as const;
export type AlertRule = (typeof ALERT_RULES)[number];

export const ALERT_SEVERITIES = ['low', 'medium', 'high'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

/** The key of a global rule's alert (user_id is then null). */
export const GLOBAL_ALERT_KEY = '*';

// Offsets are accepted so a consumer may re-serialise; the detector itself always writes UTC `Z`.
const isoTime = z.iso.datetime({ offset: true });

export const fraudAlertSchema = z
  .object({
    alert_id: z.string().min(1).meta({
      description: '`rule:key:window_start`; key is the user_id or `*`. Unique per alert.',
    }),
    rule: z.enum(ALERT_RULES),
    severity: z.enum(ALERT_SEVERITIES),
    user_id: z
      .string()
      .min(1)
      .nullable()
      .meta({ description: 'The user of a per-user rule; null for a global rule.' }),
    window_start: isoTime,
    window_end: isoTime,
    value: z
      .number()
      .meta({ description: 'The measured value when the rule fired (see the rule for its unit).' }),
    threshold: z.number().meta({
      description: 'The threshold the value was compared with, as configured or derived.',
    }),
    detected_at: isoTime.meta({ description: 'Wall-clock time of detection (UTC).' }),
    evidence: z
      .record(z.string(), z.unknown())
      .meta({ description: 'What the rule saw: distinct IPs, counts, amounts, baseline, ...' }),
  })
  .strict()
  .meta({
    title: 'Clickstream fraud alert (v1)',
    description:
      'One alert of the fraud-detector (SPEC §7), as published on clickstream.alerts.v1 and stored in the alerts table.',
  });

export type FraudAlert = z.infer<typeof fraudAlertSchema>;

/** `rule:key:window_start`: exactly one alert per (rule, key, window) (SPEC §7). */
export function alertId(rule: AlertRule, key: string, windowStartMs: number): string {
  return `${rule}:${key}:${formatEventTime(windowStartMs)}`;
}

/** Kafka key of an alert: the user, or `*` for a global rule. */
export function alertKey(alert: Pick<FraudAlert, 'user_id'>): string {
  return alert.user_id ?? GLOBAL_ALERT_KEY;
}

/** JSON Schema (draft 2020-12) of the alert, generated from fraudAlertSchema. */
export const fraudAlertJsonSchema: Record<string, unknown> = {
  $id: `urn:clickstream:schema:fraud-alert:v${ALERT_CONTRACT_VERSION}`,
  ...z.toJSONSchema(fraudAlertSchema, { target: 'draft-2020-12' }),
};

/** The default window sizes (SPEC §6); the aggregator's are configurable, labelled `<n>s|m|h`. */
export const AGGREGATE_WINDOW_SIZES = ['1m', '5m', '1h'] as const;
export const AGGREGATE_WINDOW_SIZE_PATTERN = /^[1-9]\d*[smh]$/;

const count = z.number().int().min(0);

/**
 * A final window aggregate of clickstream.aggregates.v1, keyed `${window_size}:${dimension}`
 * (e.g. `1m:all`). Open to extra fields so the aggregator can add some without breaking readers.
 */
export const aggregateRecordSchema = z
  .object({
    window_size: z
      .string()
      .regex(AGGREGATE_WINDOW_SIZE_PATTERN, 'must be a window size like 1m, 5m or 1h'),
    window_start: isoTime,
    window_end: isoTime,
    /** `all` or an event type. */
    dimension: z.string().min(1),
    events: count,
    unique_users: count,
    purchases: count,
    revenue: z.number().min(0),
    views: count,
    carts: count,
    /** purchases / views; null (or 0) when there were no views. */
    conversion_rate: z.number().min(0).nullable(),
    final: z.boolean(),
  })
  .loose();

export type AggregateRecord = z.infer<typeof aggregateRecordSchema>;

/** Kafka key of an aggregate record, e.g. `1m:all`. */
export function aggregateKey(record: Pick<AggregateRecord, 'window_size' | 'dimension'>): string {
  return `${record.window_size}:${record.dimension}`;
}
