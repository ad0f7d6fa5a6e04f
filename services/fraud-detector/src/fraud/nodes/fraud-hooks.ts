import { AlertRule, FraudAlert } from '@clickstream/contracts';

/**
 * Callbacks for metrics (fraud_rule_evaluations_total, fraud_alerts_total,
 * fraud_detection_latency_seconds). They must not throw. A record the runtime retries after a
 * failure may call them again, as with every side effect outside the committed state.
 */
export interface FraudHooks {
  /** A rule looked at one input (an event, or a final minute). */
  onEvaluate?: (rule: AlertRule) => void;
  /**
   * An alert was raised. `latencyMs`: wall clock at detection minus when the input that completed it
   * entered the system (the event's received_at; a global window's end).
   */
  onAlert?: (alert: FraudAlert, latencyMs: number) => void;
}
