/** SPEC §7 rules and their severities: the values /v1/alerts?rule= accepts and the gauges pre-set to 0. */
export const ALERT_SEVERITY = {
  click_flood: 'medium',
  ip_hopping: 'high',
  purchase_velocity: 'high',
  high_value: 'high',
  geo_velocity: 'high',
  outlier_activity: 'low',
  traffic_spike: 'medium',
  traffic_drop: 'high',
} as const;

export type AlertRule = keyof typeof ALERT_SEVERITY;
export const ALERT_RULES = Object.keys(ALERT_SEVERITY) as [AlertRule, ...AlertRule[]];
