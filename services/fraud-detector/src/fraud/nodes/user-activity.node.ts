import { ClickEvent, formatEventTime, FraudUserActivityRow } from '@clickstream/contracts';
import { alignDown, NodeDefinition, Rec } from '@clickstream/streams';
import { configSource, FraudConfig, FraudConfigSource } from '../rules/rule-config';

export const USER_ACTIVITY_NODE = 'fraud-user-activity';

/**
 * Counts each user's events per outlier_activity window (1 h, aligned to the UTC epoch) for the
 * table the once-per-window global evaluation reads. Stateless: each event forwards a delta of 1,
 * and the table sink accumulates the deltas (summed per row within a commit, added to the stored
 * count by the commit that also moves the offset), so the count is exact without a running count in
 * a state store: that store row per event was a third of the detector's commit. Late events are
 * dropped by the task before they get here, so a window's count is final once the partition's
 * watermark passes its end; the row stays until the global stage has evaluated and deleted it.
 */
export function userActivityNode(config: FraudConfig | FraudConfigSource): NodeDefinition {
  const current = configSource(config);
  return {
    name: USER_ACTIVITY_NODE,
    stores: [],
    create(ctx) {
      return {
        process(rec) {
          // Read per event: the rule can be switched on and off at runtime (its window size cannot).
          const rule = current().rules.outlier_activity;
          if (!rule.enabled) return;
          const event = rec.value as ClickEvent;
          const out: Rec<FraudUserActivityRow> = {
            key: event.user_id,
            value: {
              window_start: formatEventTime(alignDown(rec.timestamp, rule.windowMs)),
              user_id: event.user_id,
              partition: ctx.partition,
              events: 1,
            },
            timestamp: rec.timestamp,
          };
          ctx.forward(out);
        },
      };
    },
  };
}
