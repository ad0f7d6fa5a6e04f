import {
  AggregateRecord,
  alertKey,
  AlertRow,
  alertRow,
  ClickEvent,
  FraudAlert,
  FraudUserActivityRow,
  fraudUserActivityRow,
  TopicNames,
} from '@clickstream/contracts';
import { KStream, Serdes, Topology, TopologyBuilder } from '@clickstream/streams';
import { clickEventSource } from '@clickstream/platform';
import { FraudHooks } from './nodes/fraud-hooks';
import { trafficRulesNode } from './nodes/traffic-rules.node';
import { userActivityNode } from './nodes/user-activity.node';
import { userRulesNode } from './nodes/user-rules.node';
import { configSource, FraudConfig, FraudConfigSource } from './rules/rule-config';

export const FRAUD_DETECTOR_APP_ID = 'clickstream-fraud-detector';

export interface FraudTopologyOptions extends FraudHooks {
  topics: Pick<TopicNames, 'events' | 'aggregates' | 'alerts'>;
  /** A fixed config, or the live one (boot config plus clickstream.rules.v1), read per input. */
  cfg: FraudConfig | FraudConfigSource;
  applicationId?: string;
  /** Drop retried events by event_id for this long behind the watermark; 0 or unset: no dedupe. */
  dedupeHorizonMs?: number;
}

/**
 * clickstream.events.v1 + clickstream.aggregates.v1 → fraud alerts (SPEC §7).
 *
 * - events (event time = event_time): the per-user rules, alerts as soon as a threshold is crossed;
 *   and per-user counts of the outlier_activity window, added to fraud_user_activity for the
 *   once-per-window global evaluation (evaluateOutlierWindow, run across partitions elsewhere).
 * - aggregates: the final `all` 1 min windows feed traffic_spike / traffic_drop. Their event time
 *   is window_end, not window_start: the aggregator publishes the 1 min, 5 min and 1 h windows that
 *   end together at the same moment, so by their end they arrive in order on a shared partition,
 *   where by their start a 1 h window would look an hour late and land on the late topic.
 * - alerts go to clickstream.alerts.v1 (key user_id or `*`, JSON) and to the alerts table; the
 *   alert_id primary key makes a re-emitted alert an idempotent upsert.
 */
export function fraudTopology(o: FraudTopologyOptions): Topology {
  const b = new TopologyBuilder(o.applicationId ?? FRAUD_DETECTOR_APP_ID);
  const hooks: FraudHooks = { onAlert: o.onAlert, onEvaluate: o.onEvaluate };

  const events = b.stream<ClickEvent>(
    o.topics.events,
    clickEventSource('fraud-dedupe', o.dedupeHorizonMs),
  );
  sinkAlerts(events.process<FraudAlert>(userRulesNode(o.cfg, hooks)), 'fraud-user', o);

  // A live config can switch outlier_activity on at runtime, so its counting node is always there.
  if (typeof o.cfg === 'function' || configSource(o.cfg)().rules.outlier_activity.enabled) {
    const activity = events.process<FraudUserActivityRow>(userActivityNode(o.cfg));
    activity.toTable('fraud-user-activity-table', {
      table: fraudUserActivityRow.table,
      columns: fraudUserActivityRow.columnTypes,
      primaryKey: [...fraudUserActivityRow.primaryKey],
      // Per-event deltas, summed per row and commit and added to the stored count.
      accumulate: ['events'],
      row: (r): FraudUserActivityRow => ({ ...r.value }),
    });
  }

  // Only the 1m/all records are validated (in the node): other windows and dimensions pass by unread.
  const aggregates = b.stream<AggregateRecord>(o.topics.aggregates, {
    keySerde: Serdes.string(),
    valueSerde: Serdes.json<AggregateRecord>(),
    timestamp: (r) => Date.parse(r.window_end),
  });
  sinkAlerts(aggregates.process<FraudAlert>(trafficRulesNode(o.cfg, hooks)), 'fraud-traffic', o);

  return b.build();
}

/** Both sinks of an alert stream; `prefix` keeps node names unique per source. */
function sinkAlerts(alerts: KStream<FraudAlert>, prefix: string, o: FraudTopologyOptions): void {
  alerts.to(`${prefix}-alerts`, {
    topic: o.topics.alerts,
    keySerde: Serdes.string(),
    valueSerde: Serdes.json<FraudAlert>(),
    key: (r) => alertKey(r.value),
  });
  alerts.toTable(`${prefix}-alerts-table`, {
    table: alertRow.table,
    columns: alertRow.columnTypes,
    primaryKey: [...alertRow.primaryKey],
    // The stored alert is the published one (the contract's alertRow is fraudAlertSchema's fields).
    row: (r): AlertRow => ({ ...r.value }),
  });
}
