import { ALERT_RULES, AlertRule, AlertSeverity } from '@clickstream/contracts';

export { ALERT_RULES };
export type { AlertRule };

/**
 * The SPEC §7 default severity of each rule (the contract's rule list): the gauges pre-set
 * `clickstream_alerts_last_hour{rule,severity}` to 0 for these pairs.
 */
export const ALERT_SEVERITY: Record<AlertRule, AlertSeverity> = {
  click_flood: 'medium',
  ip_hopping: 'high',
  purchase_velocity: 'high',
  high_value: 'high',
  geo_velocity: 'high',
  outlier_activity: 'low',
  traffic_spike: 'medium',
  traffic_drop: 'high',
};
