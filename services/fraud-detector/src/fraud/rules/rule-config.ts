import {
  ALERT_RULES,
  AlertRule,
  AlertSeverity,
  DEFAULT_RULE_SETTINGS,
  RuleSettingField,
  RuleSettings,
  RuleSource,
} from '@clickstream/contracts';

/**
 * The fraud rules' settings as the rule code sees them (SPEC §7). fraud.config.ts fills them from
 * env vars and an optional JSON file; the rules stay free of Nest so they are plain functions.
 */
export interface RuleConfig {
  enabled: boolean;
  /**
   * Strict threshold (value > threshold). For outlier_activity the IQR multiplier (1.5), for
   * traffic_spike / traffic_drop the factor applied to the baseline mean (2.5 / 0.4).
   */
  threshold: number;
  /** Tumbling window length in ms, aligned to the UTC epoch. */
  windowMs: number;
  severity: AlertSeverity;
}

export interface OutlierSettings {
  /** Fewest active users in the window for the quartiles to mean anything. */
  minUsers: number;
  /** A user needs at least this many events to be flagged. */
  minEvents: number;
}

export interface TrafficSettings {
  /** Minutes the baseline mean looks back. */
  baselineMinutes: number;
  /** Fewest previous minutes (received or filled as 0) before the rules judge a minute. */
  minPreviousMinutes: number;
  /** Smallest baseline mean the rules judge: a quiet stream's noise is no anomaly. */
  minMean: number;
}

// A type alias (not an interface) so it fits defineConfig's Record<string, unknown> bound.
export type FraudConfig = {
  rules: Record<AlertRule, RuleConfig>;
  outlier: OutlierSettings;
  traffic: TrafficSettings;
  /** Where each boot setting came from (fraud.config.ts fills it; the metrics API shows it). */
  ruleSources?: Record<AlertRule, Record<RuleSettingField, Exclude<RuleSource, 'runtime'>>>;
};

/** The contract's spelling (window_ms) of a rule's settings ↔ the rule code's (windowMs). */
export const toRuleConfig = (s: RuleSettings): RuleConfig => ({
  enabled: s.enabled,
  threshold: s.threshold,
  windowMs: s.window_ms,
  severity: s.severity,
});
export const toRuleSettings = (c: RuleConfig): RuleSettings => ({
  enabled: c.enabled,
  threshold: c.threshold,
  window_ms: c.windowMs,
  severity: c.severity,
});

/** The SPEC §7 table (libs/contracts owns it). */
export const DEFAULT_FRAUD_CONFIG: FraudConfig = {
  rules: Object.fromEntries(
    ALERT_RULES.map((rule) => [rule, toRuleConfig(DEFAULT_RULE_SETTINGS[rule])]),
  ) as Record<AlertRule, RuleConfig>,
  outlier: { minUsers: 20, minEvents: 10 },
  traffic: { baselineMinutes: 30, minPreviousMinutes: 10, minMean: 100 },
};

/** A copy of the defaults with some rules changed, for tests and tools. */
export function fraudConfigWith(
  rules: Partial<Record<AlertRule, Partial<RuleConfig>>> = {},
  rest: { outlier?: Partial<OutlierSettings>; traffic?: Partial<TrafficSettings> } = {},
): FraudConfig {
  const merged = { ...DEFAULT_FRAUD_CONFIG.rules };
  for (const [rule, over] of Object.entries(rules) as Array<[AlertRule, Partial<RuleConfig>]>) {
    merged[rule] = { ...merged[rule], ...over };
  }
  return {
    rules: merged,
    outlier: { ...DEFAULT_FRAUD_CONFIG.outlier, ...rest.outlier },
    traffic: { ...DEFAULT_FRAUD_CONFIG.traffic, ...rest.traffic },
  };
}

/**
 * The config as of now: the rules read it on every input, so a runtime change (clickstream.rules.v1)
 * applies from the next event. A plain FraudConfig is a config that never changes.
 */
export type FraudConfigSource = () => FraudConfig;

export const configSource = (cfg: FraudConfig | FraudConfigSource): FraudConfigSource =>
  typeof cfg === 'function' ? cfg : () => cfg;
