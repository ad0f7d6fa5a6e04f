import { AlertRule, AlertSeverity } from '@clickstream/contracts';

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
};

const MINUTE = 60_000;

/** The SPEC §7 table. */
export const DEFAULT_FRAUD_CONFIG: FraudConfig = {
  rules: {
    click_flood: { enabled: true, threshold: 50, windowMs: MINUTE, severity: 'medium' },
    ip_hopping: { enabled: true, threshold: 10, windowMs: 10 * MINUTE, severity: 'high' },
    purchase_velocity: { enabled: true, threshold: 5, windowMs: 10 * MINUTE, severity: 'high' },
    high_value: { enabled: true, threshold: 10_000, windowMs: 10 * MINUTE, severity: 'high' },
    geo_velocity: { enabled: true, threshold: 2, windowMs: 10 * MINUTE, severity: 'high' },
    outlier_activity: { enabled: true, threshold: 1.5, windowMs: 60 * MINUTE, severity: 'low' },
    traffic_spike: { enabled: true, threshold: 2.5, windowMs: MINUTE, severity: 'medium' },
    traffic_drop: { enabled: true, threshold: 0.4, windowMs: MINUTE, severity: 'high' },
  },
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
