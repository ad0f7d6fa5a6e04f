import { AggregateRecord, aggregateRecordSchema, GLOBAL_ALERT_KEY } from '@clickstream/contracts';
import { PoisonError } from '@clickstream/streams';
import { FraudConfig } from '../rules/rule-config';
import { initialTrafficState, TrafficState, trafficStep } from '../rules/traffic-rules';
import { forwardAlert, ruleNode } from './rule-node';

export const TRAFFIC_RULES_NODE = 'fraud-traffic-rules';
export const TRAFFIC_RULES_STORE = 'fraud-traffic-rules-store';
/** The one key of the store: all `1m:all` records share a Kafka key, hence one partition. */
export const TRAFFIC_STATE_KEY = '1m:all';

/** The records the traffic rules read: final `all` windows of 1 min. */
export function isFinalAllMinute(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Partial<AggregateRecord>;
  return r.window_size === '1m' && r.dimension === 'all' && r.final === true;
}

/**
 * traffic_spike / traffic_drop on the aggregates topic: takes each final `all` 1 min record into the
 * baseline (state bounded to the baseline's minutes) and forwards the alerts (key `*`).
 */
export const trafficRulesNode = ruleNode<TrafficState>(
  TRAFFIC_RULES_NODE,
  TRAFFIC_RULES_STORE,
  (ctx, store, current, hooks) => {
    return {
      process(rec) {
        if (!isFinalAllMinute(rec.value)) return;
        const record = parseRecord(rec.value);
        const cfg = current();
        const result = trafficStep(
          store.get(TRAFFIC_STATE_KEY) ?? initialTrafficState(),
          record,
          cfg,
          ctx.now(),
        );
        store.put(TRAFFIC_STATE_KEY, result.state);
        countEvaluations(cfg, result.judged);
        const observedAt = Date.parse(record.window_end);
        for (const alert of result.alerts) {
          forwardAlert(ctx, hooks, alert, GLOBAL_ALERT_KEY, observedAt);
        }
      },
    };

    function countEvaluations(cfg: FraudConfig, minutes: number): void {
      for (let i = 0; i < minutes; i++) {
        if (cfg.rules.traffic_spike.enabled) hooks.onEvaluate?.('traffic_spike');
        if (cfg.rules.traffic_drop.enabled) hooks.onEvaluate?.('traffic_drop');
      }
    }
  },
);

/** A malformed record of the one stream the rules depend on is poison (DLQ), not a silent zero. */
function parseRecord(value: unknown): AggregateRecord {
  const parsed = aggregateRecordSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new PoisonError(
    'invalid_aggregate',
    `aggregate record: ${issue.path.join('.') || '(root)'}: ${issue.message}`,
  );
}
