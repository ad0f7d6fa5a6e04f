import { z } from 'zod';
import { ALERT_RULES, ALERT_SEVERITIES, AlertRule, AlertSeverity } from './alert.schema';
import { column, SelectedRow, tableRow } from './table-row';

/**
 * The fraud rules' settings (SPEC §7) as every writer and reader spells them: the detector's rules
 * file, the metrics API's `PUT /v1/rules/{rule}` body, the records of clickstream.rules.v1 and the
 * rule tables in Postgres. One schema per rule, so boot config and runtime changes accept exactly
 * the same values and name the same field when they refuse one.
 */

export const RULES_CONTRACT_VERSION = 1;

export interface RuleSettings {
  enabled: boolean;
  /** Strict threshold; for outlier_activity the IQR factor, for traffic_* the factor of the baseline mean. */
  threshold: number;
  /** Tumbling window in ms, aligned to the UTC epoch. */
  window_ms: number;
  severity: AlertSeverity;
}

export const RULE_SETTING_FIELDS = ['enabled', 'threshold', 'window_ms', 'severity'] as const;
export type RuleSettingField = (typeof RULE_SETTING_FIELDS)[number];

/** Where a rule's setting comes from, weakest first. */
export const RULE_SOURCES = ['default', 'file', 'env', 'runtime'] as const;
export type RuleSource = (typeof RULE_SOURCES)[number];

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export interface RuleLimits {
  threshold: readonly [number, number];
  windowMs: readonly [number, number];
}

const USER_RULE_LIMITS: RuleLimits = { threshold: [0, 1e12], windowMs: [1000, DAY] };

/** Bounds of each rule's settings. Traffic rules read the aggregator's final 1 min windows, so their window is fixed. */
export const RULE_LIMITS: Record<AlertRule, RuleLimits> = {
  click_flood: USER_RULE_LIMITS,
  ip_hopping: USER_RULE_LIMITS,
  purchase_velocity: USER_RULE_LIMITS,
  high_value: USER_RULE_LIMITS,
  geo_velocity: USER_RULE_LIMITS,
  outlier_activity: { threshold: [0, 100], windowMs: [MINUTE, 7 * DAY] },
  traffic_spike: { threshold: [1, 1000], windowMs: [MINUTE, MINUTE] },
  traffic_drop: { threshold: [0, 1], windowMs: [MINUTE, MINUTE] },
};

/** The SPEC §7 table. */
export const DEFAULT_RULE_SETTINGS: Record<AlertRule, RuleSettings> = {
  click_flood: { enabled: true, threshold: 50, window_ms: MINUTE, severity: 'medium' },
  ip_hopping: { enabled: true, threshold: 10, window_ms: 10 * MINUTE, severity: 'high' },
  purchase_velocity: { enabled: true, threshold: 5, window_ms: 10 * MINUTE, severity: 'high' },
  high_value: { enabled: true, threshold: 10_000, window_ms: 10 * MINUTE, severity: 'high' },
  geo_velocity: { enabled: true, threshold: 2, window_ms: 10 * MINUTE, severity: 'high' },
  outlier_activity: { enabled: true, threshold: 1.5, window_ms: HOUR, severity: 'low' },
  traffic_spike: { enabled: true, threshold: 2.5, window_ms: MINUTE, severity: 'medium' },
  traffic_drop: { enabled: true, threshold: 0.4, window_ms: MINUTE, severity: 'high' },
};

/**
 * Settings fixed at boot: outlier_activity's hourly counts are stored per window start, so a new
 * window size mid-stream would add counts of different windows together.
 */
export const BOOT_ONLY_SETTINGS: Partial<Record<AlertRule, readonly RuleSettingField[]>> = {
  outlier_activity: ['window_ms'],
};

export const severitySchema = z.enum(ALERT_SEVERITIES, {
  message: `must be one of ${ALERT_SEVERITIES.join(', ')}`,
});

/** A number within [min, max], with messages that name the bound (the rules file and the API share them). */
export const boundedNumber = ([min, max]: readonly [number, number]) =>
  z
    .number({ message: 'must be a number' })
    .min(min, `must be >= ${min}`)
    .max(max, `must be <= ${max}`);
export const boundedInt = ([min, max]: readonly [number, number]) =>
  z
    .int({ message: 'must be an integer' })
    .min(min, `must be >= ${min}`)
    .max(max, `must be <= ${max}`);

/** One rule's settings, every key optional and no other key allowed (a typo must not keep a default). */
export function ruleSettingsPatchSchema(rule: AlertRule) {
  const limits = RULE_LIMITS[rule];
  return z.strictObject({
    enabled: z.boolean({ message: 'must be true or false' }).optional(),
    threshold: boundedNumber(limits.threshold).optional(),
    window_ms: boundedInt(limits.windowMs).optional(),
    severity: severitySchema.optional(),
  });
}

export type RuleSettingsPatch = Partial<RuleSettings>;

/** One rule's complete settings. */
export function ruleSettingsSchema(rule: AlertRule) {
  return ruleSettingsPatchSchema(rule).required();
}

/** The first issue of a failed parse as `field: message`, for 400s and boot errors. */
export function firstIssue(error: z.ZodError, prefix = ''): { field: string; message: string } {
  const issue = error.issues[0];
  const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0];
    return {
      field: [path, key].filter(Boolean).join('.'),
      message: `unknown setting (use ${RULE_SETTING_FIELDS.join(', ')})`,
    };
  }
  return { field: path || '(root)', message: issue.message };
}

const isoTime = z.iso.datetime({ offset: true });

const anySettingsSchema = z.strictObject({
  enabled: z.boolean(),
  threshold: z.number(),
  window_ms: z.int(),
  severity: z.enum(ALERT_SEVERITIES),
});

/**
 * A record of clickstream.rules.v1 (compacted, key = the rule): the rule's whole runtime config,
 * or `config: null` when the rule went back to its boot config (default, file, env). Revisions
 * grow by one per change over all rules, so a reader can tell a repeat from a change.
 */
export const ruleRecordSchema = z
  .strictObject({
    rule: z.enum(ALERT_RULES),
    revision: z.int().min(1).meta({
      description: 'Position of the change in the history of all rules; grows by one per change.',
    }),
    config: anySettingsSchema
      .nullable()
      .meta({ description: "The rule's settings from now on; null: back to the boot config." }),
    changed_at: isoTime.meta({ description: 'When the change was stored (UTC).' }),
    changed_by: z
      .string()
      .min(1)
      .meta({ description: 'Id of the API key that made the change (never the key).' }),
  })
  .superRefine((record, ctx) => {
    if (record.config === null) return;
    const parsed = ruleSettingsSchema(record.rule).safeParse(record.config);
    if (parsed.success) return;
    const { field, message } = firstIssue(parsed.error, 'config');
    ctx.addIssue({ code: 'custom', path: field.split('.'), message });
  })
  .meta({
    title: 'Clickstream fraud rule (v1)',
    description:
      'The runtime config of one fraud rule, as published on clickstream.rules.v1 (compacted, key = rule).',
  });

export type RuleRecord = z.infer<typeof ruleRecordSchema>;

/** JSON Schema (draft 2020-12) of a rules-topic record; per-rule bounds are in RULE_LIMITS. */
export const ruleRecordJsonSchema: Record<string, unknown> = {
  $id: `urn:clickstream:schema:fraud-rule:v${RULES_CONTRACT_VERSION}`,
  ...z.toJSONSchema(ruleRecordSchema, { target: 'draft-2020-12' }),
};

const BOOT_SOURCES = ['default', 'file', 'env'] as const satisfies readonly RuleSource[];

/**
 * fraud_rule_baseline: one rule's boot config as the fraud-detector loaded it, and where each
 * setting came from. The metrics API reads it to show what a rule without a runtime record runs with.
 */
export const ruleBaselineRow = tableRow({
  table: 'fraud_rule_baseline',
  name: 'fraud-rule-baseline-row',
  description:
    "One fraud rule's boot config (default, file, env) as the fraud-detector stores it at start; the metrics API reads it.",
  primaryKey: ['rule'],
  columns: {
    rule: column('text', z.enum(ALERT_RULES)),
    config: column('jsonb', anySettingsSchema),
    sources: column('jsonb', z.record(z.enum(RULE_SETTING_FIELDS), z.enum(BOOT_SOURCES))),
    updated_at: column('timestamptz', isoTime),
  },
});
/** A baseline row as node-postgres reads it (and as the detector writes it). */
export type RuleBaselineRow = SelectedRow<typeof ruleBaselineRow>;

/** fraud_rule_changes: the history the metrics API writes and the rules topic is published from. */
export const ruleChangeRow = tableRow({
  table: 'fraud_rule_changes',
  name: 'fraud-rule-change-row',
  description:
    'One runtime change of a fraud rule as the metrics API stores it; the outbox of clickstream.rules.v1.',
  primaryKey: ['revision'],
  columns: {
    revision: column('bigint', z.int().min(1)),
    rule: column('text', z.enum(ALERT_RULES)),
    changed_at: column('timestamptz', isoTime),
    key_id: column('text', z.string().min(1)),
    before: column('jsonb', anySettingsSchema),
    after: column('jsonb', anySettingsSchema),
    reset: column(
      'boolean',
      z.boolean().meta({
        description:
          'True when the change took the rule back to its boot config (the record’s config is then null).',
      }),
    ),
  },
});
/** A change row as the metrics API reads it: the revision as a number (it stays far below 2^53). */
export type RuleChangeRow = Omit<SelectedRow<typeof ruleChangeRow>, 'revision'> & {
  revision: number;
};

/** The rules-topic record of a stored change. */
export function ruleRecordOf(change: RuleChangeRow): RuleRecord {
  return {
    rule: change.rule,
    revision: change.revision,
    config: change.reset ? null : change.after,
    changed_at: change.changed_at.toISOString(),
    changed_by: change.key_id,
  };
}

/** GET /v1/rules item: what a rule runs with now, and where that comes from. */
export interface RuleView {
  rule: AlertRule;
  config: RuleSettings;
  /** runtime when a change is in force; otherwise the strongest source of the boot settings. */
  source: RuleSource;
  sources: Record<RuleSettingField, RuleSource>;
  /** The rule's latest change (a reset too), or null when it was never changed at runtime. */
  revision: number | null;
  changed_at: string | null;
  changed_by: string | null;
}

/** GET /v1/rules/history item. */
export interface RuleChangeItem {
  revision: number;
  rule: AlertRule;
  action: 'set' | 'reset';
  changed_at: string;
  changed_by: string;
  before: RuleSettings;
  after: RuleSettings;
}
