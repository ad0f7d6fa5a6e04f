import {
  alertId,
  AlertRule,
  AlertSeverity,
  formatEventTime,
  FraudAlert,
  GLOBAL_ALERT_KEY,
} from '@clickstream/contracts';

export interface AlertFacts {
  rule: AlertRule;
  severity: AlertSeverity;
  /** null for a global rule (key `*`). */
  userId: string | null;
  windowStart: number;
  windowEnd: number;
  value: number;
  threshold: number;
  /** Wall-clock ms of detection. */
  now: number;
  evidence: Record<string, unknown>;
}

/** The one place an alert record is assembled, so every rule gets the same id and time formats. */
export function buildAlert(f: AlertFacts): FraudAlert {
  return {
    alert_id: alertId(f.rule, f.userId ?? GLOBAL_ALERT_KEY, f.windowStart),
    rule: f.rule,
    severity: f.severity,
    user_id: f.userId,
    window_start: formatEventTime(f.windowStart),
    window_end: formatEventTime(f.windowEnd),
    value: f.value,
    threshold: f.threshold,
    detected_at: formatEventTime(f.now),
    evidence: f.evidence,
  };
}
