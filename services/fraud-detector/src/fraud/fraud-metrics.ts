import { MetricsService } from '@clickstream/platform';
import { FraudHooks } from './nodes/fraud-hooks';

/** Detection latencies run from well under a second (per-user rules) to minutes (closed windows). */
const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900];

/**
 * The fraud-detector's business metrics as topology hooks: fraud_alerts_total{rule,severity},
 * fraud_rule_evaluations_total{rule} and fraud_detection_latency_seconds{rule}.
 */
export function fraudMetricHooks(metrics: MetricsService): Required<FraudHooks> {
  const alerts = metrics.counter({
    name: 'fraud_alerts_total',
    help: 'Fraud and anomaly alerts raised (SPEC §7).',
    labelNames: ['rule', 'severity'],
  });
  // Once per event and rule: summed locally, moved into the counter when it is scraped.
  const evaluated = metrics.hotCounter(
    {
      name: 'fraud_rule_evaluations_total',
      help: 'Inputs (events, final minutes) a rule looked at.',
    },
    'rule',
  );
  const latency = metrics.histogram({
    name: 'fraud_detection_latency_seconds',
    help: 'Wall-clock time from the input that completed an alert entering the system (received_at, or the window end) to the alert.',
    labelNames: ['rule'],
    buckets: LATENCY_BUCKETS,
  });
  return {
    onEvaluate: evaluated,
    onAlert: (alert, latencyMs) => {
      alerts.inc({ rule: alert.rule, severity: alert.severity });
      // A replay of old events has a huge "latency"; a clock skewed into the future must not go negative.
      latency.observe({ rule: alert.rule }, Math.max(0, latencyMs) / 1000);
    },
  };
}
