import { ClickEvent, formatEventTime } from '@clickstream/contracts';
import { alignDown, NodeDefinition, Rec } from '@clickstream/streams';
import { WindowEndIndex } from './user-rules.node';

export const USER_ACTIVITY_NODE = 'fraud-user-activity';
export const USER_ACTIVITY_STORE = 'fraud-user-activity-store';
export const USER_ACTIVITY_TABLE = 'fraud_user_activity';

/** A row of fraud_user_activity: one user's event count in one outlier window, so far. */
export interface UserActivityRow {
  window_start: string;
  user_id: string;
  /** The events partition the count comes from (the global stage waits for all partitions). */
  partition: number;
  events: number;
}

interface ActivityState {
  user_id: string;
  start: number;
  end: number;
  events: number;
}

/**
 * Counts each user's events per outlier_activity window (1 h, aligned to the UTC epoch) and
 * forwards the updated row on every event, for the table the once-per-window global evaluation
 * reads. State of a window is dropped once the partition's watermark passes its end (its row is
 * final then); the row itself stays until the global stage has evaluated and deleted it.
 */
export function userActivityNode(windowMs: number): NodeDefinition {
  return {
    name: USER_ACTIVITY_NODE,
    stores: [USER_ACTIVITY_STORE],
    create(ctx) {
      const store = ctx.store<ActivityState>(USER_ACTIVITY_STORE);
      const index = new WindowEndIndex();
      for (const [key, state] of store.entries()) index.add(state.end, key);

      return {
        process(rec) {
          const event = rec.value as ClickEvent;
          const start = alignDown(rec.timestamp, windowMs);
          const key = `${start}|${event.user_id}`;
          const prev = store.get(key);
          const next: ActivityState = {
            user_id: event.user_id,
            start,
            end: start + windowMs,
            events: (prev?.events ?? 0) + 1,
          };
          store.put(key, next);
          index.add(next.end, key);
          const row: UserActivityRow = {
            window_start: formatEventTime(start),
            user_id: next.user_id,
            partition: ctx.partition,
            events: next.events,
          };
          const out: Rec<UserActivityRow> = {
            key: event.user_id,
            value: row,
            timestamp: rec.timestamp,
          };
          ctx.forward(out);
        },
        onWatermark(watermark) {
          for (const key of index.takeUpTo(watermark)) store.delete(key);
        },
      };
    },
  };
}
